// Render tests of the LWC: the getRecord wire emits Account records shaped as Lightning Data
// Service returns them (typed values, null when empty), assertions on the rendered DOM.
import { createElement } from 'lwc';
import HealthloopCard from 'c/healthloopCard';
import { getRecord } from 'lightning/uiRecordApi';
import { VALUE_KEYS } from '../healthView';

const mockFullAccount = require('./data/fullAccount.json');

const RECORD_ID = '001000000000001AAA';
const NOW = Date.parse('2026-12-06T12:00:00Z');

/** The field name healthloop provisions for a value key: trend_delta → Healthloop_Trend_Delta__c. */
const fieldName = (key) =>
    'Healthloop_' + key.split('_').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('_') + '__c';

/** The full account with some values replaced (by value key); undefined drops the field entirely. */
function accountWith(overrides) {
    const record = JSON.parse(JSON.stringify(mockFullAccount));
    Object.keys(overrides).forEach((key) => {
        if (overrides[key] === undefined) {
            delete record.fields[fieldName(key)];
        } else {
            record.fields[fieldName(key)] = { displayValue: null, value: overrides[key] };
        }
    });
    return record;
}

/** An account healthloop never wrote to: every field present and null. */
function emptyAccount(overrides = {}) {
    const nulls = {};
    VALUE_KEYS.forEach((key) => {
        nulls[key] = null;
    });
    return accountWith({ ...nulls, ...overrides });
}

// Wire adapters emit synchronously; one resolved promise lets the component re-render.
const flushPromises = () => Promise.resolve();
const squash = (text) => text.replace(/\s+/g, ' ').trim();

describe('c-healthloop-card', () => {
    let dateNow;

    beforeEach(() => {
        dateNow = jest.spyOn(Date, 'now').mockReturnValue(NOW);
    });

    afterEach(() => {
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
        dateNow.mockRestore();
        jest.clearAllMocks();
    });

    function createCard() {
        const element = createElement('c-healthloop-card', { is: HealthloopCard });
        element.recordId = RECORD_ID;
        document.body.appendChild(element);
        return element;
    }

    async function renderAccount(record) {
        const element = createCard();
        getRecord.emit(record);
        await flushPromises();
        return element;
    }

    const $ = (element, dataId) => element.shadowRoot.querySelector(`[data-id="${dataId}"]`);
    const textOf = (element, dataId) => squash($(element, dataId).textContent);

    describe('data', () => {
        it('asks for every Healthloop field on Account, as optional schema references', async () => {
            createCard();
            await flushPromises();
            const config = getRecord.getLastConfig();
            expect(config.recordId).toBe(RECORD_ID);
            expect(config.fields).toBeUndefined();
            expect(config.optionalFields).toHaveLength(VALUE_KEYS.length);
            expect(config.optionalFields.map((field) => field.objectApiName)).toEqual(VALUE_KEYS.map(() => 'Account'));
            expect(config.optionalFields.map((field) => field.fieldApiName)).toEqual(VALUE_KEYS.map(fieldName));
            expect(config.optionalFields.map((field) => field.fieldApiName)).toContain('Healthloop_Open_Triggers__c');
        });

        it('shows a spinner until the record arrives', () => {
            const element = createCard();
            expect($(element, 'loading')).not.toBeNull();
            expect($(element, 'tier')).toBeNull();
        });

        it('shows the error when the record cannot be read', async () => {
            const element = createCard();
            getRecord.error();
            await flushPromises();
            expect($(element, 'loading')).toBeNull();
            expect(textOf(element, 'load-error')).toContain('The requested resource does not exist');
            expect($(element, 'load-error').getAttribute('role')).toBe('alert');
            expect($(element, 'tier')).toBeNull();
        });

        it('treats fields left out of the response (no field access) as missing', async () => {
            const element = await renderAccount(accountWith({ mrr: undefined, seats: undefined, reason: undefined }));
            expect(textOf(element, 'fact-mrr')).toBe('—');
            expect(textOf(element, 'fact-active-users')).toBe('4');
            expect($(element, 'reason')).toBeNull();
        });
    });

    describe('tiers', () => {
        const cases = [
            ['healthy', 'Healthy', 'slds-theme_success'],
            ['monitor', 'Monitor', 'slds-theme_info'],
            ['at_risk', 'At Risk', 'slds-theme_warning'],
            ['critical', 'Critical', 'slds-theme_error'],
            ['churning', 'Churning', 'slds-theme_error']
        ];

        cases.forEach(([id, label, theme]) => {
            it(`renders ${label} in ${theme}, by id and by label`, async () => {
                for (const tier of [id, label]) {
                    const element = await renderAccount(accountWith({ tier }));
                    const badge = $(element, 'tier');
                    expect(badge.classList.contains(theme)).toBe(true);
                    expect(badge.label).toBe(`55 / 100 · ${label}`);
                    document.body.removeChild(element);
                }
            });
        });

        it('tells Churning from Critical with a warning icon on the badge', async () => {
            const churning = await renderAccount(accountWith({ tier: 'churning' }));
            expect($(churning, 'tier').iconName).toBe('utility:warning');
            expect($(churning, 'tier').iconAlternativeText).toBe('Churning: highest risk');
            const critical = await renderAccount(accountWith({ tier: 'critical' }));
            expect($(critical, 'tier').iconName).toBeUndefined();
        });

        it('shows an unknown tier as words without a theme, and the bare score without a tier', async () => {
            const unknown = await renderAccount(accountWith({ tier: 'watch_list' }));
            expect($(unknown, 'tier').label).toBe('55 / 100 · Watch list');
            expect($(unknown, 'tier').className).not.toMatch(/slds-theme_/);
            const none = await renderAccount(accountWith({ tier: null }));
            expect($(none, 'tier').label).toBe('55 / 100');
        });
    });

    describe('full record', () => {
        it('renders every section', async () => {
            const element = await renderAccount(mockFullAccount);

            expect(textOf(element, 'trend')).toBe('Declining, −6 pts in 7 days');
            expect($(element, 'trend-icon').iconName).toBe('utility:arrowdown');
            expect(textOf(element, 'reason')).toBe('Activity fell to a third of its baseline.');
            expect(textOf(element, 'churn-risk')).toBe('Churn risk (30 d): 12%');

            const svg = $(element, 'sparkline');
            expect(svg.getAttribute('aria-label')).toBe(
                'Daily score from 2026-11-07 to 2026-11-13: 61 to 55, lowest 55, highest 64'
            );
            expect(svg.querySelectorAll('polyline')).toHaveLength(2); // the empty day splits the line
            expect($(element, 'no-history')).toBeNull();

            expect(textOf(element, 'signal-activity')).toBe('Activity: 12 / 100');
            expect($(element, 'signal-activity-bar').value).toBe(12);
            expect(textOf(element, 'signal-activity-note')).toBe('3 actions in 14 days, 140 expected for 5 seats');
            ['engagement', 'milestones', 'recency'].forEach((key) => {
                expect($(element, `signal-${key}-bar`)).not.toBeNull();
                expect(textOf(element, `signal-${key}-note`)).not.toBe('');
            });

            const triggers = [...element.shadowRoot.querySelectorAll('[data-id^="trigger-"]')];
            expect(triggers.map((node) => squash(node.textContent))).toEqual(['Low health score', 'Most seats idle']);
            expect($(element, 'triggers-more')).toBeNull();

            expect(textOf(element, 'action-text')).toBe('Call the champion about the idle seats');
            expect(textOf(element, 'action-owner')).toBe('Dana Scully');
            expect(textOf(element, 'action-due')).toBe('Dec 8, 2026, 9:00 AM (in 2 days)');
            expect($(element, 'overdue')).toBeNull();

            expect(textOf(element, 'fact-last-activity')).toBe('Dec 4, 2026, 7:30 AM (2 days ago)');
            expect(textOf(element, 'fact-active-users')).toBe('4 of 5 seats');
            expect(textOf(element, 'fact-features')).toBe('3 of 5: Reports, Dashboards, API');
            expect(textOf(element, 'fact-open-tickets')).toBe('2');
            expect(textOf(element, 'fact-renewal')).toBe('Mar 12, 2027 (in 96 days)');
            expect(textOf(element, 'fact-mrr')).toBe('4,500');
            const labels = [...element.shadowRoot.querySelectorAll('[data-id="facts"] dt')].map((node) => node.textContent);
            expect(labels).toEqual([
                'Last product activity', 'Active users (30 d)', 'Features adopted', 'Open tickets', 'Renewal', 'MRR'
            ]);

            const link = $(element, 'account-link');
            expect(link.getAttribute('href')).toBe('https://healthloop.example.com/accounts/acct_globex');
            expect(link.getAttribute('target')).toBe('_blank');
            expect(link.textContent).toBe('Open in healthloop');
            expect(textOf(element, 'scored-at')).toBe('Scored at Dec 6, 2026, 1:05 AM');
        });
    });

    describe('empty states', () => {
        it('says plainly that a never-scored account has no score, with no zeros', async () => {
            const element = await renderAccount(emptyAccount());
            expect(textOf(element, 'not-scored')).toBe('healthloop has not scored this account yet.');
            expect($(element, 'tier')).toBeNull();
            expect(element.shadowRoot.querySelectorAll('lightning-progress-bar')).toHaveLength(0);
            expect(element.shadowRoot.textContent).not.toMatch(/\b0\b|null|NaN|undefined/);
        });

        it('shows a dash or "no data" for every missing value, never null, NaN or undefined', async () => {
            const element = await renderAccount(emptyAccount({ score: 42 }));
            expect($(element, 'tier').label).toBe('42 / 100');
            expect($(element, 'trend')).toBeNull();
            expect($(element, 'reason')).toBeNull();
            expect($(element, 'churn-risk')).toBeNull();
            ['activity', 'engagement', 'milestones', 'recency'].forEach((key) => {
                expect(textOf(element, `signal-${key}`)).toMatch(/: no data$/);
                expect($(element, `signal-${key}-bar`)).toBeNull();
                expect($(element, `signal-${key}-note`)).toBeNull();
            });
            expect(textOf(element, 'no-triggers')).toBe('No open triggers.');
            expect(textOf(element, 'no-action')).toBe('No open intervention.');
            ['last-activity', 'active-users', 'features', 'open-tickets', 'renewal', 'mrr'].forEach((id) => {
                expect(textOf(element, `fact-${id}`)).toBe('—');
            });
            expect($(element, 'account-link')).toBeNull();
            expect($(element, 'scored-at')).toBeNull();
            expect(element.shadowRoot.textContent).not.toMatch(/null|NaN|undefined/);
        });

        it('shows a sentence instead of a chart when there is no history yet', async () => {
            const element = await renderAccount(accountWith({ score_history: null }));
            expect($(element, 'sparkline')).toBeNull();
            expect(textOf(element, 'no-history')).toMatch(/^No score history yet/);
            const oneDay = await renderAccount(accountWith({ score_history: '2026-12-05:55' }));
            expect($(oneDay, 'sparkline')).toBeNull();
            expect(textOf(oneDay, 'no-history')).toMatch(/^Only one day/);
        });

        it('lists the first five triggers and "+N more" for a long list', async () => {
            const element = await renderAccount(
                accountWith({
                    open_triggers:
                        'low_score;score_drop;inactive;stuck_in_journey;health_drop;login_decline;ticket_cluster;renewal_at_risk'
                })
            );
            const triggers = [...element.shadowRoot.querySelectorAll('[data-id^="trigger-"]')];
            expect(triggers.map((node) => squash(node.textContent))).toEqual([
                'Low health score', 'Score dropped fast', 'No recent activity', 'Stuck in onboarding', 'Health dropped'
            ]);
            expect(textOf(element, 'triggers-more')).toBe('+3 more');
        });

        it('shows an unknown trigger id humanised', async () => {
            const element = await renderAccount(accountWith({ open_triggers: 'renewal_at_risk' }));
            expect(textOf(element, 'trigger-renewal_at_risk')).toBe('Renewal at risk');
        });
    });

    describe('next action', () => {
        it('marks an action past its due time as overdue', async () => {
            const element = await renderAccount(accountWith({ next_action_due: '2026-12-04T17:00:00.000+0000' }));
            const overdue = $(element, 'overdue');
            expect(overdue.label).toBe('Overdue');
            expect(overdue.classList.contains('slds-theme_error')).toBe(true);
            expect(textOf(element, 'action-due')).toBe('Dec 4, 2026, 9:00 AM (2 days ago)');
        });

        it('shows a dash for a missing owner or due date', async () => {
            const element = await renderAccount(accountWith({ next_action_owner: null, next_action_due: null }));
            expect(textOf(element, 'action-owner')).toBe('—');
            expect(textOf(element, 'action-due')).toBe('—');
            expect($(element, 'overdue')).toBeNull();
        });
    });

    describe('churn risk', () => {
        it('shows the learned churn risk only when healthloop wrote one', async () => {
            const small = await renderAccount(accountWith({ churn_probability: 0.2 }));
            expect(textOf(small, 'churn-risk')).toBe('Churn risk (30 d): <1%');
            for (const value of [null, undefined]) {
                const element = await renderAccount(accountWith({ churn_probability: value }));
                expect($(element, 'churn-risk')).toBeNull();
                expect(element.shadowRoot.textContent).not.toMatch(/Churn risk/);
            }
        });
    });

    describe('link', () => {
        it('links to healthloop only when account_url is set', async () => {
            expect($(await renderAccount(mockFullAccount), 'account-link')).not.toBeNull();
            expect($(await renderAccount(accountWith({ account_url: null })), 'account-link')).toBeNull();
            expect($(await renderAccount(accountWith({ account_url: '' })), 'account-link')).toBeNull();
        });

        it('keeps the link on a never-scored account when one is configured', async () => {
            const element = await renderAccount(emptyAccount({ account_url: 'https://healthloop.example.com/accounts/new' }));
            expect($(element, 'not-scored')).not.toBeNull();
            expect($(element, 'account-link').getAttribute('href')).toBe('https://healthloop.example.com/accounts/new');
        });
    });
});
