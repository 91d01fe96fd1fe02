// Render tests of the HubSpot card: the SDK's test renderer, the useCrmProperties hook mocked with
// property values as HubSpot returns them (strings), assertions on the rendered component tree.
import React from 'react';
import {
  Alert,
  DescriptionListItem,
  EmptyState,
  Icon,
  LineChart,
  Link,
  List,
  LoadingSpinner,
  ProgressBar,
  Tag,
  Text,
} from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { HealthCard, PROPERTY_NAMES } from '../HealthCard.jsx';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const spaces = (text) => text.replace(/\s/g, ' ');

/** A fully filled company, as HubSpot returns its properties. */
const FULL = {
  healthloop_score: '55',
  healthloop_tier: 'at_risk',
  healthloop_trend: 'declining',
  healthloop_trend_delta: '-6',
  healthloop_reason: 'Activity fell to a third of its baseline.',
  healthloop_churn_probability: '12.3',
  healthloop_score_history: '2026-11-07:61,62,,64,60,58,55',
  healthloop_activity: '12',
  healthloop_engagement: '70',
  healthloop_milestones: '50',
  healthloop_recency: '90',
  healthloop_signal_notes:
    'activity: 3 actions in 14 days, 140 expected for 5 seats\nengagement: 2 of 5 seats active\nmilestones: 2 of 4 done\nrecency: last seen 2 days ago',
  healthloop_open_triggers: 'low_score;seats_inactive',
  healthloop_next_action: 'Call the champion about the idle seats',
  healthloop_next_action_owner: 'Dana Scully',
  healthloop_next_action_due: String(Date.parse('2026-12-08T17:00:00Z')),
  healthloop_last_activity_at: '2026-12-04T15:30:00Z',
  healthloop_active_users: '4',
  healthloop_seats: '5',
  healthloop_features_adopted: '3 of 5: Reports, Dashboards, API',
  healthloop_open_tickets: '2',
  healthloop_renewal_date: '2027-03-12',
  healthloop_mrr: '4500',
  healthloop_account_url: 'https://healthloop.example.com/accounts/acct_globex',
  healthloop_scored_at: '1796547900000',
};

/** Every property present but empty, as HubSpot returns unset properties. */
const EMPTY = Object.fromEntries(PROPERTY_NAMES.map((name) => [name, '']));

function renderCard(properties, hookState = {}) {
  const renderer = createRenderer('crm.record.tab');
  renderer.mocks.context.user.locale = 'en-US';
  renderer.mocks.context.portal.timezone = 'America/New_York';
  renderer.mocks.useCrmProperties.willCall(() => ({
    properties,
    error: null,
    isLoading: false,
    isRefetching: false,
    refetch: async () => {},
    ...hookState,
  }));
  const root = renderer.render(<HealthCard />);
  return { ...renderer, root };
}

const textOf = (renderer, testId) => spaces(renderer.findByTestId(Text, testId).text);

/** Every text node and string prop under a node: what a person could read on the card. */
function readableText(node) {
  const parts = [];
  const visit = (current) => {
    if (current.nodeType === 'text') {
      parts.push(current.text);
      return;
    }
    if (current.props) {
      for (const value of Object.values(current.props)) {
        if (typeof value === 'string' || typeof value === 'number') {
          parts.push(String(value));
        }
      }
    }
    (current.childNodes || []).forEach(visit);
  };
  visit(node);
  return parts.join(' | ');
}

beforeEach(() => {
  vi.spyOn(Date, 'now').mockReturnValue(NOW);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('HealthCard data', () => {
  it('reads every healthloop property of the company once through useCrmProperties', () => {
    const renderer = renderCard(FULL);
    expect(PROPERTY_NAMES).toHaveLength(25);
    expect(PROPERTY_NAMES).toContain('healthloop_open_triggers');
    expect(renderer.mocks.useCrmProperties.calls[0][0]).toEqual(PROPERTY_NAMES);
  });

  it('shows a spinner while the properties load', () => {
    const renderer = renderCard({}, { isLoading: true });
    expect(renderer.find(LoadingSpinner).props.label).toBe('Loading customer health');
    expect(renderer.maybeFindByTestId(Tag, 'tier')).toBeNull();
  });

  it('shows an error alert when the properties cannot be fetched', () => {
    const renderer = renderCard({}, { error: new Error('403 Forbidden') });
    const alert = renderer.findByTestId(Alert, 'load-error');
    expect(alert.props.variant).toBe('error');
    expect(alert.text).toContain('403 Forbidden');
    expect(alert.text).toContain('crm.objects.companies.read');
    expect(renderer.maybeFindByTestId(Tag, 'tier')).toBeNull();
  });
});

describe('HealthCard tiers', () => {
  const cases = [
    ['healthy', 'Healthy', 'success'],
    ['monitor', 'Monitor', 'info'],
    ['at_risk', 'At Risk', 'warning'],
    ['critical', 'Critical', 'error'],
    ['churning', 'Churning', 'error'],
  ];

  for (const [id, label, variant] of cases) {
    it(`renders ${label} with the ${variant} tag, by id and by label`, () => {
      for (const tier of [id, label]) {
        const renderer = renderCard({ ...FULL, healthloop_tier: tier });
        const tag = renderer.findByTestId(Tag, 'tier');
        expect(tag.props.variant).toBe(variant);
        expect(tag.text).toBe(`55 / 100 · ${label}`);
      }
    });
  }

  it('tells Churning from Critical with a warning icon', () => {
    const churning = renderCard({ ...FULL, healthloop_tier: 'churning' });
    const icon = churning.findByTestId(Icon, 'tier-icon');
    expect(icon.props.name).toBe('warning');
    expect(icon.props.color).toBe('alert');
    expect(icon.props.screenReaderText).toBe('Churning: highest risk');
    const critical = renderCard({ ...FULL, healthloop_tier: 'critical' });
    expect(critical.maybeFindByTestId(Icon, 'tier-icon')).toBeNull();
  });

  it('shows an unknown tier as words in a default tag, and the bare score without a tier', () => {
    expect(renderCard({ ...FULL, healthloop_tier: 'watch_list' }).findByTestId(Tag, 'tier').props.variant).toBe('default');
    const noTier = renderCard({ ...FULL, healthloop_tier: '' }).findByTestId(Tag, 'tier');
    expect(noTier.text).toBe('55 / 100');
    expect(noTier.props.variant).toBe('default');
  });
});

describe('HealthCard full record', () => {
  it('renders every section', () => {
    const renderer = renderCard(FULL);

    expect(textOf(renderer, 'trend')).toBe('↓ Declining, −6 pts in 7 days');
    expect(textOf(renderer, 'reason')).toBe('Activity fell to a third of its baseline.');
    expect(textOf(renderer, 'churn-risk')).toBe('Churn risk (30 d): 12%');

    const chart = renderer.findByTestId(LineChart, 'history-chart');
    expect(chart.props.data).toEqual([
      { day: '2026-11-07', score: 61 },
      { day: '2026-11-08', score: 62 },
      { day: '2026-11-10', score: 64 },
      { day: '2026-11-11', score: 60 },
      { day: '2026-11-12', score: 58 },
      { day: '2026-11-13', score: 55 },
    ]);
    expect(chart.props.axes.x).toEqual({ field: 'day', fieldType: 'datetime', label: 'Day' });

    const activity = renderer.findByTestId(ProgressBar, 'signal-activity');
    expect(activity.props).toMatchObject({ title: 'Activity', value: 12, maxValue: 100, valueDescription: '12 / 100' });
    expect(textOf(renderer, 'signal-activity-note')).toBe('3 actions in 14 days, 140 expected for 5 seats');
    for (const key of ['engagement', 'milestones', 'recency']) {
      expect(renderer.findByTestId(ProgressBar, `signal-${key}`).props.value).toBeGreaterThan(0);
      expect(renderer.findByTestId(Text, `signal-${key}-note`).text).not.toBe('');
    }

    const triggers = renderer.findByTestId(List, 'triggers');
    expect(triggers.findAll(Text).map((node) => node.text)).toEqual(['Low health score', 'Most seats idle']);
    expect(renderer.maybeFindByTestId(Text, 'triggers-more')).toBeNull();

    expect(textOf(renderer, 'action-text')).toBe('Call the champion about the idle seats');
    expect(textOf(renderer, 'action-owner')).toBe('Dana Scully');
    expect(textOf(renderer, 'action-due')).toBe('Dec 8, 2026, 12:00 PM (in 2 days)');
    expect(renderer.maybeFindByTestId(Tag, 'overdue')).toBeNull();

    expect(textOf(renderer, 'fact-last-activity')).toBe('Dec 4, 2026, 10:30 AM (2 days ago)');
    expect(textOf(renderer, 'fact-active-users')).toBe('4 of 5 seats');
    expect(textOf(renderer, 'fact-features')).toBe('3 of 5: Reports, Dashboards, API');
    expect(textOf(renderer, 'fact-open-tickets')).toBe('2');
    expect(textOf(renderer, 'fact-renewal')).toBe('Mar 12, 2027 (in 96 days)');
    expect(textOf(renderer, 'fact-mrr')).toBe('4,500');
    expect(renderer.findAll(DescriptionListItem).map((item) => item.props.label)).toEqual([
      'Action', 'Owner', 'Due',
      'Last product activity', 'Active users (30 d)', 'Features adopted', 'Open tickets', 'Renewal', 'MRR',
    ]);

    const link = renderer.findByTestId(Link, 'account-link');
    expect(link.props.href).toEqual({ url: 'https://healthloop.example.com/accounts/acct_globex', external: true });
    expect(link.text).toBe('Open in healthloop');
    expect(textOf(renderer, 'scored-at')).toBe('Scored at Dec 6, 2026, 4:05 AM');
  });

  it('formats dates in the portal time zone', () => {
    const renderer = createRenderer('crm.record.tab');
    renderer.mocks.context.portal.timezone = 'Europe/Berlin';
    renderer.mocks.useCrmProperties.willCall(() => ({
      properties: FULL, error: null, isLoading: false, isRefetching: false, refetch: async () => {},
    }));
    renderer.render(<HealthCard />);
    expect(spaces(renderer.findByTestId(Text, 'fact-last-activity').text)).toBe('Dec 4, 2026, 4:30 PM (2 days ago)');
  });
});

describe('HealthCard empty states', () => {
  it('says plainly that a never-scored company has no score, with no zeros', () => {
    const renderer = renderCard(EMPTY);
    const empty = renderer.findByTestId(EmptyState, 'not-scored');
    expect(empty.props.title).toBe('Not scored yet');
    expect(readableText(empty)).toContain('healthloop has not scored this company yet.');
    expect(renderer.maybeFindByTestId(Tag, 'tier')).toBeNull();
    expect(renderer.findAll(ProgressBar)).toHaveLength(0);
    expect(readableText(renderer.root)).not.toMatch(/\b0\b|null|NaN|undefined/);
  });

  it('treats properties HubSpot returned as null like empty ones', () => {
    const nulls = Object.fromEntries(PROPERTY_NAMES.map((name) => [name, null]));
    expect(renderCard(nulls).findByTestId(EmptyState, 'not-scored')).toBeTruthy();
    expect(renderCard({}).findByTestId(EmptyState, 'not-scored')).toBeTruthy();
  });

  it('shows a dash or "no data" for every missing value, never null, NaN or undefined', () => {
    const renderer = renderCard({ ...EMPTY, healthloop_score: '42' });
    expect(renderer.findByTestId(Tag, 'tier').text).toBe('42 / 100');
    expect(renderer.maybeFindByTestId(Text, 'trend')).toBeNull();
    expect(renderer.maybeFindByTestId(Text, 'reason')).toBeNull();
    expect(renderer.maybeFindByTestId(Text, 'churn-risk')).toBeNull();
    for (const key of ['activity', 'engagement', 'milestones', 'recency']) {
      expect(renderer.findByTestId(Text, `signal-${key}`).text).toMatch(/: no data$/);
      expect(renderer.maybeFindByTestId(Text, `signal-${key}-note`)).toBeNull();
    }
    expect(renderer.findByTestId(Text, 'no-triggers').text).toBe('No open triggers.');
    expect(renderer.findByTestId(Text, 'no-action').text).toBe('No open intervention.');
    for (const id of ['last-activity', 'active-users', 'features', 'open-tickets', 'renewal', 'mrr']) {
      expect(renderer.findByTestId(Text, `fact-${id}`).text).toBe('—');
    }
    expect(renderer.maybeFindByTestId(Link, 'account-link')).toBeNull();
    expect(renderer.maybeFindByTestId(Text, 'scored-at')).toBeNull();
    expect(readableText(renderer.root)).toContain('no data');
    expect(readableText(renderer.root)).not.toMatch(/null|NaN|undefined/);
  });

  it('shows a sentence instead of a chart when there is no history yet', () => {
    const renderer = renderCard({ ...FULL, healthloop_score_history: '' });
    expect(renderer.maybeFindByTestId(LineChart, 'history-chart')).toBeNull();
    expect(renderer.findByTestId(Text, 'no-history').text).toMatch(/^No score history yet/);
    const oneDay = renderCard({ ...FULL, healthloop_score_history: '2026-12-05:55' });
    expect(oneDay.maybeFindByTestId(LineChart, 'history-chart')).toBeNull();
    expect(oneDay.findByTestId(Text, 'no-history').text).toMatch(/^Only one day/);
  });

  it('lists the first five triggers and "+N more" for a long list', () => {
    const renderer = renderCard({
      ...FULL,
      healthloop_open_triggers:
        'low_score;score_drop;inactive;stuck_in_journey;health_drop;login_decline;ticket_cluster;renewal_at_risk',
    });
    const items = renderer.findByTestId(List, 'triggers').findAll(Text);
    expect(items.map((node) => node.text)).toEqual([
      'Low health score', 'Score dropped fast', 'No recent activity', 'Stuck in onboarding', 'Health dropped',
    ]);
    expect(renderer.findByTestId(Text, 'triggers-more').text).toBe('+3 more');
  });

  it('shows an unknown trigger id humanised', () => {
    const renderer = renderCard({ ...FULL, healthloop_open_triggers: 'renewal_at_risk' });
    expect(renderer.findByTestId(Text, 'trigger-renewal_at_risk').text).toBe('Renewal at risk');
  });
});

describe('HealthCard churn risk', () => {
  it('shows the learned churn risk only when healthloop wrote one', () => {
    expect(textOf(renderCard({ ...FULL, healthloop_churn_probability: '0.2' }), 'churn-risk')).toBe(
      'Churn risk (30 d): <1%'
    );
    for (const value of ['', null]) {
      const renderer = renderCard({ ...FULL, healthloop_churn_probability: value });
      expect(renderer.maybeFindByTestId(Text, 'churn-risk')).toBeNull();
      expect(readableText(renderer.root)).not.toMatch(/Churn risk/);
    }
  });
});

describe('HealthCard next action', () => {
  it('marks an action past its due time as overdue', () => {
    const renderer = renderCard({ ...FULL, healthloop_next_action_due: '2026-12-04T17:00:00Z' });
    const overdue = renderer.findByTestId(Tag, 'overdue');
    expect(overdue.props.variant).toBe('error');
    expect(overdue.text).toBe('Overdue');
    expect(spaces(renderer.findByTestId(Text, 'action-due').text)).toBe('Dec 4, 2026, 12:00 PM (2 days ago)');
  });

  it('shows a dash for a missing owner or due date', () => {
    const renderer = renderCard({ ...FULL, healthloop_next_action_owner: '', healthloop_next_action_due: '' });
    expect(renderer.findByTestId(Text, 'action-owner').text).toBe('—');
    expect(renderer.findByTestId(Text, 'action-due').text).toBe('—');
    expect(renderer.maybeFindByTestId(Tag, 'overdue')).toBeNull();
  });
});

describe('HealthCard link', () => {
  it('links to healthloop only when account_url is set', () => {
    expect(renderCard(FULL).maybeFindByTestId(Link, 'account-link')).not.toBeNull();
    expect(renderCard({ ...FULL, healthloop_account_url: '' }).maybeFindByTestId(Link, 'account-link')).toBeNull();
    expect(renderCard({ ...FULL, healthloop_account_url: null }).maybeFindByTestId(Link, 'account-link')).toBeNull();
  });

  it('keeps the link on a never-scored company when one is configured', () => {
    const renderer = renderCard({ ...EMPTY, healthloop_account_url: 'https://healthloop.example.com/accounts/new' });
    expect(renderer.findByTestId(EmptyState, 'not-scored')).toBeTruthy();
    expect(renderer.findByTestId(Link, 'account-link').props.href.url).toBe('https://healthloop.example.com/accounts/new');
  });
});
