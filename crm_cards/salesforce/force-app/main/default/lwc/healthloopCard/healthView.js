/**
 * healthloop health card view model: the record's healthloop field values in, plain display data out.
 *
 * Pure (no SDK, no clock: `now` is a parameter) and shared word for word by the HubSpot app card
 * (crm_cards/hubspot/src/app/cards/healthView.js) and the Salesforce LWC
 * (crm_cards/salesforce/force-app/main/default/lwc/healthloopCard/healthView.js);
 * `make test-cards` fails when the two copies differ. It only formats what the fields say:
 * scores, tiers, triggers and actions are all decided on the Python side.
 */

/** The field contract's value keys, in the order the card shows them. */
export const VALUE_KEYS = [
    'score', 'tier', 'trend', 'trend_delta', 'reason', 'score_history',
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
const DAY_MS = 86400000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DIGITS = /^-?\d+$/;

/** A number from a typed value or a string ("55", " 4.5 "); null for empty or non-numeric values. */
export function parseNumber(raw) {
    if (typeof raw === 'number') {
        return Number.isFinite(raw) ? raw : null;
    }
    if (typeof raw !== 'string' || raw.trim() === '') {
        return null;
    }
    const value = Number(raw.trim());
    return Number.isFinite(value) ? value : null;
}

/** Trimmed text; null for null, undefined, empty or blank values. */
export function parseText(raw) {
    if (typeof raw === 'number' && Number.isFinite(raw)) {
        return String(raw);
    }
    if (typeof raw !== 'string') {
        return null;
    }
    const text = raw.trim();
    return text === '' ? null : text;
}

/** UTC midnight (epoch ms) of a YYYY-MM-DD string, or null when it is not a real date. */
function utcDay(text) {
    const match = ISO_DATE.exec(text);
    if (!match) {
        return null;
    }
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const ms = Date.UTC(year, month - 1, day);
    const check = new Date(ms);
    return check.getUTCMonth() === month - 1 && check.getUTCDate() === day ? ms : null;
}

/**
 * An instant (epoch ms) from epoch milliseconds (number or digit string: HubSpot), an ISO
 * date-time (Salesforce, HubSpot) or a bare date (taken as UTC midnight); null otherwise.
 */
export function parseDateTime(raw) {
    if (typeof raw === 'number') {
        return Number.isFinite(raw) ? raw : null;
    }
    const text = parseText(raw);
    if (text === null) {
        return null;
    }
    if (DIGITS.test(text)) {
        return Number(text);
    }
    if (ISO_DATE.test(text)) {
        return utcDay(text);
    }
    // Salesforce writes offsets as +0000; not every JS engine parses that form, so add the colon.
    const ms = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? null : ms;
}

/** A calendar date as UTC midnight (epoch ms) from YYYY-MM-DD, an ISO date-time or epoch ms; null otherwise. */
export function parseDate(raw) {
    const text = typeof raw === 'number' ? null : parseText(raw);
    if (text !== null && /^\d{4}-\d{2}-\d{2}T/.test(text)) {
        return utcDay(text.slice(0, 10));
    }
    const ms = parseDateTime(raw);
    return ms === null ? null : Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Open trigger ids from a `;`-separated multi-select value (or an array), blanks and repeats dropped. */
export function parseTriggerIds(raw) {
    const items = Array.isArray(raw) ? raw : (parseText(raw) || '').split(';');
    const ids = [];
    for (const item of items) {
        const id = parseText(item);
        if (id !== null && !ids.includes(id)) {
            ids.push(id);
        }
    }
    return ids;
}

/** Daily scores from `<first ISO date>:<v1>,<v2>,...` (empty slot = no score that day); [] when malformed. */
export function parseScoreHistory(raw) {
    const text = parseText(raw);
    const colon = text === null ? -1 : text.indexOf(':');
    const start = colon < 0 ? null : utcDay(text.slice(0, colon).trim());
    if (start === null) {
        return [];
    }
    return text.slice(colon + 1).split(',').map((slot, index) => ({
        date: new Date(start + index * DAY_MS).toISOString().slice(0, 10),
        value: parseNumber(slot)
    }));
}

/** Signal key → one-line explanation, from `activity: ...` lines. */
export function parseSignalNotes(raw) {
    const notes = {};
    const text = parseText(raw);
    if (text === null) {
        return notes;
    }
    // Real newlines, or a literal backslash-n if a text field stored the escape instead.
    for (const line of text.split(/\r?\n|\\n/)) {
        const colon = line.indexOf(':');
        const key = colon < 0 ? '' : normaliseId(line.slice(0, colon));
        const note = colon < 0 ? null : parseText(line.slice(colon + 1));
        if (note !== null && SIGNALS.some((signal) => signal.key === key)) {
            notes[key] = note;
        }
    }
    return notes;
}

/** An id as stored: lower case, spaces and hyphens as underscores ("At Risk" → "at_risk"). */
export function normaliseId(text) {
    return String(text).trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** Words from an unknown id: "custom_trigger" → "Custom trigger". */
export function humanise(id) {
    const words = String(id).replace(/[_\s]+/g, ' ').trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
}

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

/** Number and date formatting in the viewer's locale and time zone, falling back when either is unknown. */
function formatters(locale, timeZone) {
    const make = (options) => {
        for (const [loc, zone] of [[locale, options.timeZone], ['en-US', options.timeZone], ['en-US', 'UTC']]) {
            try {
                return new Intl.DateTimeFormat(loc || 'en-US', { ...options, timeZone: zone || 'UTC' });
            } catch (error) {
                // RangeError for an unknown locale or time zone: try the next pair.
            }
        }
        return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
    };
    let numbers;
    try {
        numbers = new Intl.NumberFormat(locale || 'en-US', { maximumFractionDigits: 2 });
    } catch (error) {
        numbers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
    }
    const dateTime = make({ dateStyle: 'medium', timeStyle: 'short', timeZone });
    const date = make({ dateStyle: 'medium', timeZone: 'UTC' });
    // Calendar days are read in en-US so the parts are always ASCII digits.
    const dayParts = new Intl.DateTimeFormat('en-US', {
        year: 'numeric', month: 'numeric', day: 'numeric', timeZone: dateTime.resolvedOptions().timeZone
    });
    return {
        number: (value) => numbers.format(value),
        dateTime: (ms) => dateTime.format(ms),
        date: (ms) => date.format(ms),
        /** The calendar day (as UTC midnight ms) that an instant falls on in the viewer's time zone. */
        day: (ms) => {
            const parts = {};
            for (const part of dayParts.formatToParts(ms)) {
                parts[part.type] = Number(part.value);
            }
            return Date.UTC(parts.year, parts.month - 1, parts.day);
        }
    };
}

function relativeDays(days) {
    if (days === 0) {
        return 'today';
    }
    const count = Math.abs(days) === 1 ? '1 day' : `${Math.abs(days)} days`;
    return days > 0 ? `in ${count}` : `${count} ago`;
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
