/**
 * Reading and formatting healthloop's CRM field values: HubSpot's strings (epoch-ms dates,
 * `;`-joined multi-selects) and Salesforce's typed values alike. Pure; shared word for word by
 * both cards like healthView.js, which builds the card's view model from these.
 */

export const DAY_MS = 86400000;
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

/** Key → one-line explanation, from `activity: ...` lines (keys normalised, empty notes dropped). */
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
        if (key !== '' && note !== null) {
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

/** Number and date formatting in the viewer's locale and time zone, falling back when either is unknown. */
export function formatters(locale, timeZone) {
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

export function relativeDays(days) {
    if (days === 0) {
        return 'today';
    }
    const count = Math.abs(days) === 1 ? '1 day' : `${Math.abs(days)} days`;
    return days > 0 ? `in ${count}` : `${count} ago`;
}
