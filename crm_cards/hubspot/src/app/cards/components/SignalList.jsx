// The four signals (0-100 or "no data"), each with its one-line explanation.
import React from 'react';
import { Flex, ProgressBar, Text } from '@hubspot/ui-extensions';

export function SignalList({ signals }) {
  return (
    <Flex direction="column" gap="small">
      <Text format={{ fontWeight: 'bold' }}>Signals</Text>
      {signals.map((signal) => (
        <Flex key={signal.key} direction="column" gap="flush">
          {signal.value === null ? (
            <Text testId={`signal-${signal.key}`}>
              {signal.label}: {signal.valueText}
            </Text>
          ) : (
            <ProgressBar
              testId={`signal-${signal.key}`}
              title={signal.label}
              value={signal.value}
              maxValue={100}
              valueDescription={signal.valueText}
            />
          )}
          {signal.note ? (
            <Text testId={`signal-${signal.key}-note`} variant="microcopy">
              {signal.note}
            </Text>
          ) : null}
        </Flex>
      ))}
    </Flex>
  );
}
