// Unit tests of reading CRM field values. Like fieldValues.js, this file is identical in the
// HubSpot and Salesforce projects (vitest with globals there, sfdx-lwc-jest here): describe/it/expect only.
import {
    humanise,
    parseDate,
    parseDateTime,
    parseNumber,
    parseScoreHistory,
    parseSignalNotes,
    parseText,
    parseTriggerIds
} from '../fieldValues';

describe('parseNumber', () => {
    it('reads HubSpot strings and Salesforce numbers alike', () => {
        expect(parseNumber('55')).toBe(55);
        expect(parseNumber(' 4.5 ')).toBe(4.5);
        expect(parseNumber('-6')).toBe(-6);
        expect(parseNumber(55)).toBe(55);
        expect(parseNumber(0)).toBe(0);
        expect(parseNumber('0')).toBe(0);
    });

    it('gives null for empty or non-numeric values', () => {
        [undefined, null, '', '   ', 'abc', NaN, Infinity, true, {}].forEach((raw) => {
            expect(parseNumber(raw)).toBeNull();
        });
    });
});

describe('parseText', () => {
    it('trims and gives null for blanks', () => {
        expect(parseText('  Dana  ')).toBe('Dana');
        expect(parseText('')).toBeNull();
        expect(parseText('   ')).toBeNull();
        expect(parseText(null)).toBeNull();
        expect(parseText(undefined)).toBeNull();
    });
});

describe('parseDateTime', () => {
    const instant = Date.parse('2024-12-06T00:00:00Z');

    it('reads HubSpot epoch milliseconds as a string or a number', () => {
        expect(parseDateTime('1733443200000')).toBe(instant);
        expect(parseDateTime(1733443200000)).toBe(instant);
    });

    it('reads ISO date-times, with Z or with Salesforce offsets without a colon', () => {
        expect(parseDateTime('2024-12-06T00:00:00Z')).toBe(instant);
        expect(parseDateTime('2024-12-06T00:00:00.000Z')).toBe(instant);
        expect(parseDateTime('2024-12-06T00:00:00.000+0000')).toBe(instant);
        expect(parseDateTime('2024-12-06T01:00:00.000+0100')).toBe(instant);
    });

    it('reads a bare date as UTC midnight', () => {
        expect(parseDateTime('2024-12-06')).toBe(instant);
    });

    it('gives null for empty or unreadable values', () => {
        ['', null, undefined, 'yesterday', '2024-13-45'].forEach((raw) => {
            expect(parseDateTime(raw)).toBeNull();
        });
    });
});

describe('parseDate', () => {
    const renewal = Date.UTC(2027, 2, 12);

    it('reads YYYY-MM-DD, epoch ms at UTC midnight and ISO date-times', () => {
        expect(parseDate('2027-03-12')).toBe(renewal);
        expect(parseDate(String(renewal))).toBe(renewal);
        expect(parseDate(renewal)).toBe(renewal);
        expect(parseDate('2027-03-12T00:00:00.000Z')).toBe(renewal);
    });

    it('rejects dates that do not exist', () => {
        expect(parseDate('2027-02-30')).toBeNull();
        expect(parseDate('')).toBeNull();
        expect(parseDate(null)).toBeNull();
    });
});

describe('parseTriggerIds', () => {
    it('splits the ;-separated multi-select value of both CRMs', () => {
        expect(parseTriggerIds('low_score;seats_inactive')).toEqual(['low_score', 'seats_inactive']);
        expect(parseTriggerIds(' low_score ; ;inactive;low_score')).toEqual(['low_score', 'inactive']);
        expect(parseTriggerIds(['a', ' b '])).toEqual(['a', 'b']);
        expect(parseTriggerIds('')).toEqual([]);
        expect(parseTriggerIds(null)).toEqual([]);
    });

    it('humanises an id', () => {
        expect(humanise('custom__thing')).toBe('Custom thing');
        expect(humanise('renewal_at_risk')).toBe('Renewal at risk');
    });
});

describe('parseScoreHistory', () => {
    it('reads one value per consecutive day with empty slots as days without a score', () => {
        expect(parseScoreHistory('2026-11-07:61,62,,64')).toEqual([
            { date: '2026-11-07', value: 61 },
            { date: '2026-11-08', value: 62 },
            { date: '2026-11-09', value: null },
            { date: '2026-11-10', value: 64 }
        ]);
    });

    it('crosses month ends', () => {
        expect(parseScoreHistory('2026-02-27:1,2,3').map((point) => point.date)).toEqual([
            '2026-02-27', '2026-02-28', '2026-03-01'
        ]);
    });

    it('gives no points for empty or malformed values', () => {
        ['', null, '61,62,63', '2026-13-01:1,2', 'soon:1,2'].forEach((raw) => {
            expect(parseScoreHistory(raw)).toEqual([]);
        });
    });
});

describe('parseSignalNotes', () => {
    it('reads one explanation per line, case and line endings aside', () => {
        expect(parseSignalNotes('activity: a\r\nEngagement:  b \nmilestones: c')).toEqual({
            activity: 'a', engagement: 'b', milestones: 'c'
        });
    });

    it('also splits on a stored literal backslash-n and drops lines without a note', () => {
        expect(parseSignalNotes('activity: a\\nrecency: d\nmood: great\nengagement:\nno colon here')).toEqual({
            activity: 'a', recency: 'd', mood: 'great'
        });
    });
});
