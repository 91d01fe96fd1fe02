// Usage and commercial facts: last product activity, active users of seats, features adopted,
// open tickets, renewal date (days until it) and MRR.
import React from 'react';
import { DescriptionList, DescriptionListItem, Text } from '@hubspot/ui-extensions';

function withRelative(text, relative) {
  return relative ? `${text} (${relative})` : text;
}

export function AccountFacts({ usage, renewal }) {
  const facts = [
    ['last-activity', 'Last product activity', withRelative(usage.lastActivity, usage.lastActivityRelative)],
    ['active-users', 'Active users (30 d)', usage.activeUsers],
    ['features', 'Features adopted', usage.featuresAdopted],
    ['open-tickets', 'Open tickets', usage.openTickets],
    ['renewal', 'Renewal', withRelative(renewal.date, renewal.relative)],
    ['mrr', 'MRR', renewal.mrr],
  ];
  return (
    <DescriptionList testId="facts" direction="row">
      {facts.map(([id, label, text]) => (
        <DescriptionListItem key={id} label={label}>
          <Text testId={`fact-${id}`}>{text}</Text>
        </DescriptionListItem>
      ))}
    </DescriptionList>
  );
}
