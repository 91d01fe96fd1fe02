import { HEIGHT, WIDTH, sparkline } from '../sparkline';

const days = (values) => values.map((value, index) => ({ date: `2026-11-${String(index + 1).padStart(2, '0')}`, value }));

describe('sparkline', () => {
    it('draws one polyline across consecutive days, highest score at the top', () => {
        const chart = sparkline(days([50, 60, 70]));
        expect(chart.viewBox).toBe(`0 0 ${WIDTH} ${HEIGHT}`);
        expect(chart.lines).toEqual([{ key: 'line-0', points: '4,44 150,24 296,4' }]);
        expect(chart.dots).toEqual([]);
        expect(chart.label).toBe('Daily score from 2026-11-01 to 2026-11-03: 50 to 70, lowest 50, highest 70');
    });

    it('breaks the line at a day without a score and dots a lone day', () => {
        const chart = sparkline(days([50, 60, null, 70, null, 40, 45]));
        expect(chart.lines.map((line) => line.key)).toEqual(['line-0', 'line-5']);
        expect(chart.dots).toHaveLength(1);
        expect(chart.dots[0].key).toBe('dot-3');
        expect(chart.dots[0].cy).toBe(4);
    });

    it('draws a flat history across the middle', () => {
        const chart = sparkline(days([60, 60]));
        expect(chart.lines[0].points).toBe(`4,${HEIGHT / 2} 296,${HEIGHT / 2}`);
    });

    it('draws nothing without scores', () => {
        expect(sparkline(days([null, null]))).toEqual({
            viewBox: `0 0 ${WIDTH} ${HEIGHT}`, lines: [], dots: [], label: 'No score history'
        });
    });
});
