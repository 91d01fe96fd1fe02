// The 30-day score sparkline, or a sentence while there is not enough history for a line.
import React from 'react';
import { LineChart, Text } from '@hubspot/ui-extensions';

/** Chart rows for the scored days only: a day without a score is left out, not drawn as 0. */
export function chartRows(points) {
  return points.filter((point) => point.value !== null).map((point) => ({ day: point.date, score: point.value }));
}

export function ScoreHistory({ history }) {
  if (!history.hasChart) {
    return (
      <Text testId="no-history" variant="microcopy">
        {history.message}
      </Text>
    );
  }
  return (
    <LineChart
      testId="history-chart"
      data={chartRows(history.points)}
      axes={{
        x: { field: 'day', fieldType: 'datetime', label: 'Day' },
        y: { field: 'score', fieldType: 'linear', label: 'Score' },
      }}
      options={{ title: 'Score, last 30 days', showLegend: false, showDataLabels: false, showTooltips: true }}
    />
  );
}
