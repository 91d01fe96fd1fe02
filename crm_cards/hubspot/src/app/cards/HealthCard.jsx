// healthloop's customer-health card on the HubSpot company record: reads the company's own
// healthloop_* properties once through the SDK hook, turns them into a view model, renders it.
import React from 'react';
import {
  Alert,
  Divider,
  EmptyState,
  Flex,
  LoadingSpinner,
  Text,
  hubspot,
  useExtensionContext,
} from '@hubspot/ui-extensions';
import { useCrmProperties } from '@hubspot/ui-extensions/crm';

import { VALUE_KEYS, buildHealthView } from './healthView.js';
import { AccountFacts } from './components/AccountFacts.jsx';
import { CardFooter } from './components/CardFooter.jsx';
import { NextAction } from './components/NextAction.jsx';
import { ScoreHeader } from './components/ScoreHeader.jsx';
import { ScoreHistory } from './components/ScoreHistory.jsx';
import { SignalList } from './components/SignalList.jsx';
import { TriggerList } from './components/TriggerList.jsx';

hubspot.extend(() => <HealthCard />);

/** The company properties the card reads: `healthloop_<value key>`. */
export const PROPERTY_NAMES = VALUE_KEYS.map((key) => `healthloop_${key}`);

/** HubSpot property values (strings or null) keyed by value key. */
export function valuesFromProperties(properties) {
  const values = {};
  for (const key of VALUE_KEYS) {
    values[key] = properties ? properties[`healthloop_${key}`] : null;
  }
  return values;
}

export function HealthCard() {
  const context = useExtensionContext();
  const { properties, isLoading, error } = useCrmProperties(PROPERTY_NAMES);

  if (isLoading) {
    return <LoadingSpinner testId="loading" label="Loading customer health" layout="centered" />;
  }
  if (error) {
    return (
      <Alert testId="load-error" title="Customer health could not be loaded" variant="error">
        HubSpot did not return this company's healthloop properties ({error.message}). Reload the
        page; if it persists, check that the app has the crm.objects.companies.read scope.
      </Alert>
    );
  }

  const view = buildHealthView(valuesFromProperties(properties), {
    now: Date.now(),
    locale: context && context.user ? context.user.locale : undefined,
    timeZone: context && context.portal ? context.portal.timezone : undefined,
    noun: 'company',
  });

  if (!view.scored) {
    return (
      <Flex direction="column" gap="small">
        <EmptyState testId="not-scored" title="Not scored yet" imageName="companies" layout="horizontal">
          <Text>{view.message}</Text>
          <Text variant="microcopy">
            The health score appears here after healthloop's next sync for this company.
          </Text>
        </EmptyState>
        <CardFooter accountUrl={view.accountUrl} scoredAt={null} />
      </Flex>
    );
  }

  return (
    <Flex direction="column" gap="medium">
      <ScoreHeader
        score={view.scoreText}
        tier={view.tier}
        trend={view.trend}
        reason={view.reason}
        churnRisk={view.churnRisk}
      />
      <ScoreHistory history={view.history} />
      <Divider />
      <SignalList signals={view.signals} />
      <TriggerList triggers={view.triggers} />
      <NextAction action={view.action} />
      <Divider />
      <AccountFacts usage={view.usage} renewal={view.renewal} />
      <CardFooter accountUrl={view.accountUrl} scoredAt={view.scoredAt} />
    </Flex>
  );
}
