/**
 * SVG geometry for the 30-day score sparkline (Lightning has no chart base component): one
 * polyline per run of consecutive scored days, a dot for a scored day between two gaps.
 * Pure: the history points of the view model in, coordinates out.
 */

export const WIDTH = 300;
export const HEIGHT = 48;
const PAD = 4;

const round = (value) => Math.round(value * 10) / 10;

export function sparkline(points) {
    const scored = points.filter((point) => point.value !== null);
    if (scored.length === 0) {
        return { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, lines: [], dots: [], label: 'No score history' };
    }
    const values = scored.map((point) => point.value);
    const low = Math.min(...values);
    const high = Math.max(...values);
    const x = (index) => (points.length === 1 ? WIDTH / 2 : PAD + (index * (WIDTH - 2 * PAD)) / (points.length - 1));
    // Scaled to the period's own range so small moves show; a flat history is a line across the middle.
    const y = (value) => (high === low ? HEIGHT / 2 : PAD + ((high - value) * (HEIGHT - 2 * PAD)) / (high - low));

    const runs = [];
    let run = [];
    points.forEach((point, index) => {
        if (point.value === null) {
            if (run.length) {
                runs.push(run);
            }
            run = [];
        } else {
            run.push({ index, x: round(x(index)), y: round(y(point.value)) });
        }
    });
    if (run.length) {
        runs.push(run);
    }

    const first = scored[0];
    const last = scored[scored.length - 1];
    return {
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        lines: runs
            .filter((item) => item.length > 1)
            .map((item) => ({ key: `line-${item[0].index}`, points: item.map((p) => `${p.x},${p.y}`).join(' ') })),
        dots: runs
            .filter((item) => item.length === 1)
            .map((item) => ({ key: `dot-${item[0].index}`, cx: item[0].x, cy: item[0].y })),
        label: `Daily score from ${first.date} to ${last.date}: ${first.value} to ${last.value}, lowest ${low}, highest ${high}`
    };
}
