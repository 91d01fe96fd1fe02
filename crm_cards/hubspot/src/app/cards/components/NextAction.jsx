// The current intervention: what to do, who owns it, when it is due (overdue said as such).
import React from 'react';
import { DescriptionList, DescriptionListItem, Flex, Tag, Text } from '@hubspot/ui-extensions';

export function NextAction({ action }) {
  if (action === null) {
    return (
      <Flex direction="column" gap="extra-small">
        <Text format={{ fontWeight: 'bold' }}>Next action</Text>
        <Text testId="no-action">No open intervention.</Text>
      </Flex>
    );
  }
  return (
    <Flex direction="column" gap="extra-small">
      <Text format={{ fontWeight: 'bold' }}>Next action</Text>
      <DescriptionList testId="action" direction="row">
        <DescriptionListItem label="Action">
          <Text testId="action-text">{action.text}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Owner">
          <Text testId="action-owner">{action.owner}</Text>
        </DescriptionListItem>
        <DescriptionListItem label="Due">
          <Flex direction="row" align="center" gap="extra-small">
            <Text testId="action-due">
              {action.dueRelative ? `${action.dueText} (${action.dueRelative})` : action.dueText}
            </Text>
            {action.overdue ? (
              <Tag testId="overdue" variant="error">
                Overdue
              </Tag>
            ) : null}
          </Flex>
        </DescriptionListItem>
      </DescriptionList>
    </Flex>
  );
}
