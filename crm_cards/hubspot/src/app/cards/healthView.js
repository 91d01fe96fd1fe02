/**
 * healthloop health card view model: the record's healthloop field values in, plain display data out.
 *
 * Pure (no SDK, no clock: `now` is a parameter) and shared word for word by the HubSpot app card
 * (crm_cards/hubspot/src/app/cards/healthView.js) and the Salesforce LWC
 * (crm_cards/salesforce/force-app/main/default/lwc/healthloopCard/healthView.js), like fieldValues.js;
 * `make test-cards` fails when the copies differ. It only formats what the fields say:
 * scores, tiers, triggers and actions are all decided on the Python side.
 */

import {
    DAY_MS,
    formatters,
    humanise,
    normaliseId,
    parseDate,
    parseDateTime,
    parseNumber,
    parseScoreHistory,
    parseSignalNotes,
    parseText,
    parseTriggerIds,
    relativeDays
} from './fieldValues';

/** The field contract's value keys, in the order the card shows them. */
export const VALUE_KEYS = [
    'score', 'tier', 'trend', 'trend_delta', 'reason', 'churn_probability', 'score_history',
    'activity', 'engagement', 'milestones', 'recency', 'signal_notes',
    'open_triggers', 'next_action', 'next_action_owner', 'next_action_due',
    'last_activity_at', 'active_users', 'seats', 'features_adopted', 'open_tickets',
    'renewal_date', 'mrr', 'account_url', 'scored_at'
];

/** What a missing value shows as. */
export const MISSING = '—';
export const MAX_TRIGGERS_SHOWN = 5;
export const HISTORY_DAYS = 30;

/** Tier id → label and tone (success/info/warning/error/danger; each card maps tones to its own colours). */
export const TIERS = {
    healthy: { label: 'Healthy', tone: 'success' },
    monitor: { label: 'Monitor', tone: 'info' },
    at_risk: { label: 'At Risk', tone: 'warning' },
    critical: { label: 'Critical', tone: 'error' },
    churning: { label: 'Churning', tone: 'danger' }
};

export const TRIGGER_LABELS = {
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
};

export const SIGNALS = [
    { key: 'activity', label: 'Activity' },
    { key: 'engagement', label: 'Engagement' },
    { key: 'milestones', label: 'Milestones' },
    { key: 'recency', label: 'Recency' }
];

const TRENDS = { improving: 'Improving', stable: 'Stable', declining: 'Declining' };

export function triggerLabel(id) {
    return TRIGGER_LABELS[normaliseId(id)] || humanise(id);
}

function tierView(raw) {
    const text = parseText(raw);
    if (text === null) {
        return null;
    }
    const id = normaliseId(text);
    const known = TIERS[id];
    return known ? { id, label: known.label, tone: known.tone } : { id, label: humanise(text), tone: 'default' };
}

function signedPoints(delta, format) {
    const rounded = Math.round(delta * 10) / 10;
    const sign = rounded > 0 ? '+' : rounded < 0 ? '−' : '';
    const unit = Math.abs(rounded) === 1 ? 'pt' : 'pts';
    return `${sign}${format.number(Math.abs(rounded))} ${unit}`;
}

function trendView(values, format) {
    const text = parseText(values.trend);
    const delta = parseNumber(values.trend_delta);
    if (text === null && delta === null) {
        return null;
    }
    const id = text === null ? null : normaliseId(text);
    const label = id === null ? null : TRENDS[id] || humanise(text);
    const deltaText = delta === null ? null : signedPoints(delta, format);
    const parts = [label, deltaText === null ? null : `${deltaText} in 7 days`].filter((part) => part !== null);
    return { direction: TRENDS[id] ? id : null, label, delta, deltaText, text: parts.join(', ') };
}

function historyView(raw) {
    const points = parseScoreHistory(raw).slice(-HISTORY_DAYS);
    const scored = points.filter((point) => point.value !== null);
    const hasChart = scored.length >= 2;
    let message = null;
    if (scored.length === 0) {
        message = 'No score history yet: the chart appears after a few daily scores.';
    } else if (scored.length === 1) {
        message = 'Only one day of score history so far: the chart appears from the second day.';
    }
    return { points, scoredDays: scored.length, hasChart, message };
}

function signalsView(values, format) {
    const notes = parseSignalNotes(values.signal_notes);
    return SIGNALS.map(({ key, label }) => {
        const value = parseNumber(values[key]);
        const rounded = value === null ? null : Math.round(value);
        return {
            key,
            label,
            value: rounded,
            valueText: rounded === null ? 'no data' : `${format.number(rounded)} / 100`,
            note: notes[key] || null
        };
    });
}

function triggersView(raw) {
    const all = parseTriggerIds(raw).map((id) => ({ id, label: triggerLabel(id) }));
    const shown = all.slice(0, MAX_TRIGGERS_SHOWN);
    const more = all.length - shown.length;
    return { total: all.length, shown, more, moreText: more > 0 ? `+${more} more` : null };
}

function actionView(values, now, format) {
    const text = parseText(values.next_action);
    const owner = parseText(values.next_action_owner);
    const due = parseDateTime(values.next_action_due);
    if (text === null && owner === null && due === null) {
        return null;
    }
    const overdue = due !== null && due < now;
    return {
        text: text || MISSING,
        owner: owner || MISSING,
        dueText: due === null ? MISSING : format.dateTime(due),
        dueRelative: due === null ? null : relativeDays((format.day(due) - format.day(now)) / DAY_MS),
        overdue
    };
}

function usageView(values, now, format) {
    const lastActivity = parseDateTime(values.last_activity_at);
    const active = parseNumber(values.active_users);
    const seats = parseNumber(values.seats);
    const tickets = parseNumber(values.open_tickets);
    let activeUsers = MISSING;
    if (active !== null) {
        activeUsers = seats === null ? format.number(active) : `${format.number(active)} of ${format.number(seats)} seats`;
    }
    return {
        lastActivity: lastActivity === null ? MISSING : format.dateTime(lastActivity),
        lastActivityRelative: lastActivity === null
            ? null : relativeDays((format.day(lastActivity) - format.day(now)) / DAY_MS),
        activeUsers,
        featuresAdopted: parseText(values.features_adopted) || MISSING,
        openTickets: tickets === null ? MISSING : format.number(tickets)
    };
}

function renewalView(values, now, format) {
    const date = parseDate(values.renewal_date);
    const mrr = parseNumber(values.mrr);
    return {
        date: date === null ? MISSING : format.date(date),
        relative: date === null ? null : relativeDays((date - format.day(now)) / DAY_MS),
        mrr: mrr === null ? MISSING : format.number(mrr)
    };
}

/**
 * "Churn risk (30 d): 12%" from the learned probability (percent, 0-100), or null when healthloop left the
 * field empty (no learned model in use). A risk that rounds to 0 but is not 0 reads "<1%".
 */
function churnRiskView(raw, format) {
    const percent = parseNumber(raw);
    if (percent === null) {
        return null;
    }
    const rounded = Math.round(percent);
    const text = rounded === 0 && percent > 0 ? '<1%' : `${format.number(rounded)}%`;
    return `Churn risk (30 d): ${text}`;
}

/** The healthloop console link, only for an http(s) URL. */
function accountUrl(raw) {
    const text = parseText(raw);
    return text !== null && /^https?:\/\/\S+$/i.test(text) ? text : null;
}

/**
 * The card's view model from the record's values keyed by value key (`score`, `tier`, ...).
 *
 * options: `now` (epoch ms), `locale` and `timeZone` of the viewer, `noun` for the record
 * ("company" or "account"). A record without a score gets `{scored: false, message}`.
 */
export function buildHealthView(values, options = {}) {
    const record = values || {};
    const now = typeof options.now === 'number' ? options.now : 0;
    const format = formatters(options.locale, options.timeZone);
    const score = parseNumber(record.score);
    const link = accountUrl(record.account_url);
    if (score === null) {
        return {
            scored: false,
            message: `healthloop has not scored this ${options.noun || 'account'} yet.`,
            accountUrl: link
        };
    }
    const scoredAt = parseDateTime(record.scored_at);
    const rounded = Math.round(score);
    return {
        scored: true,
        score: rounded,
        scoreText: `${format.number(rounded)} / 100`,
        tier: tierView(record.tier),
        reason: parseText(record.reason),
        churnRisk: churnRiskView(record.churn_probability, format),
        trend: trendView(record, format),
        history: historyView(record.score_history),
        signals: signalsView(record, format),
        triggers: triggersView(record.open_triggers),
        action: actionView(record, now, format),
        usage: usageView(record, now, format),
        renewal: renewalView(record, now, format),
        accountUrl: link,
        scoredAt: scoredAt === null ? null : format.dateTime(scoredAt)
    };
}
