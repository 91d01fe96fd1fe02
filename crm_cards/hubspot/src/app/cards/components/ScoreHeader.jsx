// Score and tier in the tier's colour, the 7-day trend, the one-line reason, and the learned churn risk
// when healthloop writes one.
import React from 'react';
import { Flex, Icon, Tag, Text } from '@hubspot/ui-extensions';

/** View-model tone → Tag variant. Tag has no "danger": Churning is told apart by its icon. */
export const TAG_VARIANTS = {
  success: 'success',
  info: 'info',
  warning: 'warning',
  error: 'error',
  danger: 'error',
  default: 'default',
};

const TREND_ARROWS = { improving: '↑', stable: '→', declining: '↓' };

export function ScoreHeader({ score, tier, trend, reason, churnRisk }) {
  const variant = TAG_VARIANTS[tier ? tier.tone : 'default'];
  return (
    <Flex direction="column" gap="extra-small">
      <Flex direction="row" align="center" gap="small" wrap="wrap">
        {tier && tier.tone === 'danger' ? (
          <Icon testId="tier-icon" name="warning" color="alert" screenReaderText={`${tier.label}: highest risk`} />
        ) : null}
        <Tag testId="tier" variant={variant}>
          {tier ? `${score} · ${tier.label}` : score}
        </Tag>
        {trend ? (
          <Text testId="trend" format={{ fontWeight: 'demibold' }}>
            {trend.direction ? `${TREND_ARROWS[trend.direction]} ${trend.text}` : trend.text}
          </Text>
        ) : null}
      </Flex>
      {reason ? <Text testId="reason">{reason}</Text> : null}
      {churnRisk ? <Text testId="churn-risk">{churnRisk}</Text> : null}
    </Flex>
  );
}
