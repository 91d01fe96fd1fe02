// Unit tests of the shared view model, from record values in each CRM's format. Like healthView.js,
// this file is identical in the HubSpot and Salesforce projects (vitest with globals there,
// sfdx-lwc-jest here): describe/it/expect only.
import { MISSING, TRIGGER_LABELS, buildHealthView, triggerLabel } from '../healthView';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const OPTIONS = { now: NOW, locale: 'en-US', timeZone: 'America/New_York', noun: 'company' };
const spaces = (text) => text.replace(/\s/g, ' '); // ICU puts U+202F before AM/PM in some versions

/** A full record as HubSpot returns it: every value a string. */
const HUBSPOT_RECORD = {
    score: '55',
    tier: 'at_risk',
    trend: 'declining',
    trend_delta: '-6',
    reason: 'Activity fell to a third of its baseline.',
    churn_probability: '12.3',
    score_history: '2026-11-07:61,62,,64',
    activity: '12.6',
    engagement: '70',
    milestones: '',
    recency: '90',
    signal_notes: 'activity: 3 actions in 14 days, 140 expected\nengagement: 2 of 5 seats active\nrecency: last seen 2 days ago',
    open_triggers: 'low_score;seats_inactive',
    next_action: 'Call the champion about the idle seats',
    next_action_owner: 'Dana Scully',
    next_action_due: String(Date.parse('2026-12-04T17:00:00Z')),
    last_activity_at: String(Date.parse('2026-12-04T15:30:00Z')),
    active_users: '4',
    seats: '5',
    features_adopted: '3 of 5: Reports, Dashboards, API',
    open_tickets: '2',
    renewal_date: '2027-03-12',
    mrr: '4500',
    account_url: 'https://healthloop.example.com/accounts/acct_globex',
    scored_at: '2026-12-06T09:05:00Z'
};

/** The same record as Salesforce returns it: typed values, ISO strings with +0000, nulls. */
const SALESFORCE_RECORD = {
    ...HUBSPOT_RECORD,
    score: 55,
    trend_delta: -6,
    activity: 12.6,
    engagement: 70,
    milestones: null,
    recency: 90,
    next_action_due: '2026-12-04T17:00:00.000+0000',
    last_activity_at: '2026-12-04T15:30:00.000+0000',
    active_users: 4,
    seats: 5,
    open_tickets: 2,
    mrr: 4500,
    churn_probability: 12.3,
    scored_at: '2026-12-06T09:05:00.000+0000'
};

function allStrings(value, found = []) {
    if (typeof value === 'string') {
        found.push(value);
    } else if (value && typeof value === 'object') {
        Object.values(value).forEach((item) => allStrings(item, found));
    }
    return found;
}

describe('open triggers', () => {
    it('says every known trigger in words', () => {
        expect(TRIGGER_LABELS).toEqual({
            low_score: 'Low health score',
            score_drop: 'Score dropped fast',
            inactive: 'No recent activity',
            stuck_in_journey: 'Stuck in onboarding',
            health_drop: 'Health dropped',
            inactivity_winback: 'Gone quiet (win-back)',
            login_decline: 'Logins declining',
            core_feature_unused: 'Core feature never used',
            seats_inactive: 'Most seats idle',
            setup_incomplete: 'Setup not finished',
            ticket_cluster: 'Repeated support tickets'
        });
        expect(triggerLabel('seats_inactive')).toBe('Most seats idle');
        expect(triggerLabel('Seats_Inactive')).toBe('Most seats idle');
    });

    it('shows an unknown id as-is, humanised', () => {
        expect(triggerLabel('renewal_at_risk')).toBe('Renewal at risk');
    });

    it('shows the first five and counts the rest', () => {
        const ids = Object.keys(TRIGGER_LABELS).slice(0, 8).join(';');
        const view = buildHealthView({ score: '40', open_triggers: ids }, OPTIONS);
        expect(view.triggers.total).toBe(8);
        expect(view.triggers.shown.map((trigger) => trigger.label)).toEqual([
            'Low health score', 'Score dropped fast', 'No recent activity', 'Stuck in onboarding', 'Health dropped'
        ]);
        expect(view.triggers.moreText).toBe('+3 more');
    });

    it('has no "more" line for five or fewer', () => {
        const view = buildHealthView({ score: '40', open_triggers: 'a;b;c;d;e' }, OPTIONS);
        expect(view.triggers.shown).toHaveLength(5);
        expect(view.triggers.moreText).toBeNull();
    });
});

describe('score history', () => {
    it('keeps the last 30 days and charts from two scored days', () => {
        const values = Array.from({ length: 35 }, (_, i) => String(40 + i)).join(',');
        const view = buildHealthView({ score: '70', score_history: `2026-11-01:${values}` }, OPTIONS);
        expect(view.history.points).toHaveLength(30);
        expect(view.history.points[0]).toEqual({ date: '2026-11-06', value: 45 });
        expect(view.history.hasChart).toBe(true);
        expect(view.history.message).toBeNull();
    });

    it('says there is no history yet instead of drawing an empty chart', () => {
        [undefined, '', '2026-11-07:,,'].forEach((raw) => {
            const view = buildHealthView({ score: '70', score_history: raw }, OPTIONS);
            expect(view.history.hasChart).toBe(false);
            expect(view.history.message).toMatch(/^No score history yet/);
        });
        const one = buildHealthView({ score: '70', score_history: '2026-12-05:70' }, OPTIONS);
        expect(one.history.hasChart).toBe(false);
        expect(one.history.message).toMatch(/^Only one day/);
    });
});

describe('signals', () => {
    it('ignores notes for keys that are not signals', () => {
        const view = buildHealthView({ score: '50', signal_notes: 'mood: great\nrecency: fresh' }, OPTIONS);
        expect(view.signals.map((signal) => signal.note)).toEqual([null, null, null, 'fresh']);
    });

    it('shows 0-100 rounded, or "no data" for a signal without inputs', () => {
        const view = buildHealthView(HUBSPOT_RECORD, OPTIONS);
        expect(view.signals.map((signal) => [signal.label, signal.valueText, signal.note])).toEqual([
            ['Activity', '13 / 100', '3 actions in 14 days, 140 expected'],
            ['Engagement', '70 / 100', '2 of 5 seats active'],
            ['Milestones', 'no data', null],
            ['Recency', '90 / 100', 'last seen 2 days ago']
        ]);
    });
});

describe('tier', () => {
    const cases = [
        ['healthy', 'Healthy', 'success'],
        ['monitor', 'Monitor', 'info'],
        ['at_risk', 'At Risk', 'warning'],
        ['critical', 'Critical', 'error'],
        ['churning', 'Churning', 'danger']
    ];

    cases.forEach(([id, label, tone]) => {
        it(`reads ${id} by id or by label`, () => {
            [id, label, label.toUpperCase(), ` ${label} `].forEach((raw) => {
                expect(buildHealthView({ score: '50', tier: raw }, OPTIONS).tier).toEqual({ id, label, tone });
            });
        });
    });

    it('keeps Critical and Churning apart', () => {
        const critical = buildHealthView({ score: '30', tier: 'critical' }, OPTIONS).tier;
        const churning = buildHealthView({ score: '10', tier: 'churning' }, OPTIONS).tier;
        expect(critical.tone).not.toBe(churning.tone);
    });

    it('shows an unknown tier in words with the default tone, and no tier when empty', () => {
        expect(buildHealthView({ score: '50', tier: 'watch_list' }, OPTIONS).tier).toEqual({
            id: 'watch_list', label: 'Watch list', tone: 'default'
        });
        expect(buildHealthView({ score: '50', tier: '' }, OPTIONS).tier).toBeNull();
    });
});

describe('trend', () => {
    it('says direction and signed points over 7 days', () => {
        const view = buildHealthView(HUBSPOT_RECORD, OPTIONS);
        expect(view.trend).toEqual({
            direction: 'declining', label: 'Declining', delta: -6, deltaText: '−6 pts', text: 'Declining, −6 pts in 7 days'
        });
        expect(buildHealthView({ score: '80', trend: 'Improving', trend_delta: 4 }, OPTIONS).trend.text).toBe(
            'Improving, +4 pts in 7 days'
        );
        expect(buildHealthView({ score: '80', trend: 'stable', trend_delta: '0' }, OPTIONS).trend.text).toBe(
            'Stable, 0 pts in 7 days'
        );
        expect(buildHealthView({ score: '80', trend: 'improving', trend_delta: '1' }, OPTIONS).trend.deltaText).toBe('+1 pt');
        expect(buildHealthView({ score: '80', trend: 'improving', trend_delta: '2.25' }, OPTIONS).trend.deltaText).toBe(
            '+2.3 pts'
        );
    });

    it('shows what there is when one half is missing, nothing when both are', () => {
        expect(buildHealthView({ score: '80', trend: 'declining' }, OPTIONS).trend.text).toBe('Declining');
        expect(buildHealthView({ score: '80', trend_delta: '-3' }, OPTIONS).trend).toEqual({
            direction: null, label: null, delta: -3, deltaText: '−3 pts', text: '−3 pts in 7 days'
        });
        expect(buildHealthView({ score: '80', trend: '', trend_delta: '' }, OPTIONS).trend).toBeNull();
    });
});

describe('next action', () => {
    it('shows action, owner and due date, overdue when the due time has passed', () => {
        const action = buildHealthView(HUBSPOT_RECORD, OPTIONS).action;
        expect(action.text).toBe('Call the champion about the idle seats');
        expect(action.owner).toBe('Dana Scully');
        expect(spaces(action.dueText)).toBe('Dec 4, 2026, 12:00 PM');
        expect(action.dueRelative).toBe('2 days ago');
        expect(action.overdue).toBe(true);
    });

    it('is not overdue when due later', () => {
        const due = String(NOW + 3 * 86400000);
        const action = buildHealthView({ score: '55', next_action: 'Call', next_action_due: due }, OPTIONS).action;
        expect(action.overdue).toBe(false);
        expect(action.dueRelative).toBe('in 3 days');
        expect(action.owner).toBe(MISSING);
    });

    it('is absent when there is no intervention', () => {
        expect(buildHealthView({ score: '55', next_action: '', next_action_owner: null }, OPTIONS).action).toBeNull();
    });
});

describe('usage and renewal', () => {
    it('formats a full record', () => {
        const view = buildHealthView(HUBSPOT_RECORD, OPTIONS);
        expect(spaces(view.usage.lastActivity)).toBe('Dec 4, 2026, 10:30 AM');
        expect(view.usage.lastActivityRelative).toBe('2 days ago');
        expect(view.usage.activeUsers).toBe('4 of 5 seats');
        expect(view.usage.featuresAdopted).toBe('3 of 5: Reports, Dashboards, API');
        expect(view.usage.openTickets).toBe('2');
        expect(view.renewal).toEqual({ date: 'Mar 12, 2027', relative: 'in 96 days', mrr: '4,500' });
    });

    it('shows active users alone when seats are empty, and zero as zero', () => {
        const view = buildHealthView({ score: '55', active_users: '4', seats: '', open_tickets: '0' }, OPTIONS);
        expect(view.usage.activeUsers).toBe('4');
        expect(view.usage.openTickets).toBe('0');
    });

    it('counts renewal days in calendar days, past and today included', () => {
        const renewal = (raw) => buildHealthView({ score: '55', renewal_date: raw }, OPTIONS).renewal;
        expect(renewal('2026-12-06').relative).toBe('today');
        expect(renewal('2026-12-07').relative).toBe('in 1 day');
        expect(renewal('2026-11-30').relative).toBe('6 days ago');
        expect(renewal(String(Date.UTC(2027, 2, 12)))).toEqual({ date: 'Mar 12, 2027', relative: 'in 96 days', mrr: MISSING });
    });

    it('formats MRR with grouping and up to two decimals', () => {
        expect(buildHealthView({ score: '55', mrr: 4500.5 }, OPTIONS).renewal.mrr).toBe('4,500.5');
        expect(buildHealthView({ score: '55', mrr: '12000' }, OPTIONS).renewal.mrr).toBe('12,000');
    });
});

describe('churn risk', () => {
    it('shows the learned probability as a whole percentage', () => {
        expect(buildHealthView(HUBSPOT_RECORD, OPTIONS).churnRisk).toBe('Churn risk (30 d): 12%');
        expect(buildHealthView(SALESFORCE_RECORD, OPTIONS).churnRisk).toBe('Churn risk (30 d): 12%');
        expect(buildHealthView({ score: '1', churn_probability: '99.5' }, OPTIONS).churnRisk).toBe('Churn risk (30 d): 100%');
        expect(buildHealthView({ score: '1', churn_probability: 0 }, OPTIONS).churnRisk).toBe('Churn risk (30 d): 0%');
    });

    it('says "<1%" for a small risk rather than 0%', () => {
        expect(buildHealthView({ score: '1', churn_probability: '0.4' }, OPTIONS).churnRisk).toBe('Churn risk (30 d): <1%');
    });

    it('is absent when no learned model is in use (the field is empty)', () => {
        [undefined, null, '', ' '].forEach((value) => {
            expect(buildHealthView({ score: '1', churn_probability: value }, OPTIONS).churnRisk).toBeNull();
        });
    });
});

describe('the whole view', () => {
    it('is the same for HubSpot strings and Salesforce typed values', () => {
        expect(buildHealthView(SALESFORCE_RECORD, OPTIONS)).toEqual(buildHealthView(HUBSPOT_RECORD, OPTIONS));
    });

    it('shows score, reason, link and scoring time of a full record', () => {
        const view = buildHealthView(HUBSPOT_RECORD, OPTIONS);
        expect(view.scored).toBe(true);
        expect(view.scoreText).toBe('55 / 100');
        expect(view.reason).toBe('Activity fell to a third of its baseline.');
        expect(view.accountUrl).toBe('https://healthloop.example.com/accounts/acct_globex');
        expect(spaces(view.scoredAt)).toBe('Dec 6, 2026, 4:05 AM');
    });

    it('says plainly that a record was never scored, instead of showing zeros', () => {
        [{}, null, { score: '' }, { score: null, tier: '', active_users: '3' }].forEach((record) => {
            const view = buildHealthView(record, OPTIONS);
            expect(view.scored).toBe(false);
            expect(view.message).toBe('healthloop has not scored this company yet.');
        });
        expect(buildHealthView({}, { now: NOW }).message).toBe('healthloop has not scored this account yet.');
    });

    it('never shows null, NaN or undefined when only the score is set', () => {
        const empty = {};
        Object.keys(HUBSPOT_RECORD).forEach((key) => {
            empty[key] = '';
        });
        const view = buildHealthView({ ...empty, score: '42' }, OPTIONS);
        allStrings(view).forEach((text) => {
            expect(text).not.toMatch(/null|NaN|undefined/);
        });
        expect(view.usage).toEqual({
            lastActivity: MISSING, lastActivityRelative: null, activeUsers: MISSING, featuresAdopted: MISSING, openTickets: MISSING
        });
        expect(view.renewal).toEqual({ date: MISSING, relative: null, mrr: MISSING });
        expect(view.tier).toBeNull();
        expect(view.trend).toBeNull();
        expect(view.action).toBeNull();
        expect(view.churnRisk).toBeNull();
        expect(view.accountUrl).toBeNull();
        expect(view.scoredAt).toBeNull();
    });

    it('links only to an http(s) URL', () => {
        expect(buildHealthView({ score: '1', account_url: '' }, OPTIONS).accountUrl).toBeNull();
        expect(buildHealthView({ score: '1', account_url: 'javascript:alert(1)' }, OPTIONS).accountUrl).toBeNull();
        expect(buildHealthView({ score: '1', account_url: ' http://hl.local/a ' }, OPTIONS).accountUrl).toBe('http://hl.local/a');
        expect(buildHealthView({ score: '', account_url: 'https://hl.example/a' }, OPTIONS).accountUrl).toBe('https://hl.example/a');
    });

    it('falls back to en-US and UTC for a locale or time zone it does not know', () => {
        const view = buildHealthView(HUBSPOT_RECORD, { now: NOW, locale: 'not a locale!', timeZone: 'Mars/Olympus' });
        expect(spaces(view.scoredAt)).toBe('Dec 6, 2026, 9:05 AM');
        expect(view.renewal.mrr).toBe('4,500');
    });

    it('formats in the viewer\'s locale', () => {
        const view = buildHealthView(HUBSPOT_RECORD, { ...OPTIONS, locale: 'de-DE', timeZone: 'Europe/Berlin' });
        expect(view.renewal.date).toBe('12.03.2027');
        expect(view.renewal.mrr).toBe('4.500');
    });
});
