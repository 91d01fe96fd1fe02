// The link to the account in healthloop's console (only when one is configured) and the scoring time.
import React from 'react';
import { Flex, Link, Text } from '@hubspot/ui-extensions';

export function CardFooter({ accountUrl, scoredAt }) {
  if (!accountUrl && !scoredAt) {
    return null;
  }
  return (
    <Flex direction="row" justify="between" align="center" gap="small" wrap="wrap">
      {accountUrl ? (
        <Link testId="account-link" href={{ url: accountUrl, external: true }}>
          Open in healthloop
        </Link>
      ) : null}
      {scoredAt ? (
        <Text testId="scored-at" variant="microcopy">
          Scored at {scoredAt}
        </Text>
      ) : null}
    </Flex>
  );
}
