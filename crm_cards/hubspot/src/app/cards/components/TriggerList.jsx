// Open triggers in words: the first five, then "+N more".
import React from 'react';
import { Flex, List, Text } from '@hubspot/ui-extensions';

export function TriggerList({ triggers }) {
  return (
    <Flex direction="column" gap="extra-small">
      <Text format={{ fontWeight: 'bold' }}>Open triggers</Text>
      {triggers.total === 0 ? (
        <Text testId="no-triggers">No open triggers.</Text>
      ) : (
        <List testId="triggers" variant="unordered-styled">
          {triggers.shown.map((trigger) => (
            <Text key={trigger.id} testId={`trigger-${trigger.id}`}>
              {trigger.label}
            </Text>
          ))}
        </List>
      )}
      {triggers.moreText ? (
        <Text testId="triggers-more" variant="microcopy">
          {triggers.moreText}
        </Text>
      ) : null}
    </Flex>
  );
}
