/**
 * healthloop's customer-health card on the Account record page: reads the Healthloop_*__c
 * fields through Lightning Data Service, turns them into the shared view model, renders it.
 */
import { LightningElement, api, wire } from 'lwc';
import { getFieldValue, getRecord } from 'lightning/uiRecordApi';
import LOCALE from '@salesforce/i18n/locale';
import TIME_ZONE from '@salesforce/i18n/timeZone';

import SCORE_FIELD from '@salesforce/schema/Account.Healthloop_Score__c';
import TIER_FIELD from '@salesforce/schema/Account.Healthloop_Tier__c';
import TREND_FIELD from '@salesforce/schema/Account.Healthloop_Trend__c';
import TREND_DELTA_FIELD from '@salesforce/schema/Account.Healthloop_Trend_Delta__c';
import REASON_FIELD from '@salesforce/schema/Account.Healthloop_Reason__c';
import CHURN_PROBABILITY_FIELD from '@salesforce/schema/Account.Healthloop_Churn_Probability__c';
import SCORE_HISTORY_FIELD from '@salesforce/schema/Account.Healthloop_Score_History__c';
import ACTIVITY_FIELD from '@salesforce/schema/Account.Healthloop_Activity__c';
import ENGAGEMENT_FIELD from '@salesforce/schema/Account.Healthloop_Engagement__c';
import MILESTONES_FIELD from '@salesforce/schema/Account.Healthloop_Milestones__c';
import RECENCY_FIELD from '@salesforce/schema/Account.Healthloop_Recency__c';
import SIGNAL_NOTES_FIELD from '@salesforce/schema/Account.Healthloop_Signal_Notes__c';
import OPEN_TRIGGERS_FIELD from '@salesforce/schema/Account.Healthloop_Open_Triggers__c';
import NEXT_ACTION_FIELD from '@salesforce/schema/Account.Healthloop_Next_Action__c';
import NEXT_ACTION_OWNER_FIELD from '@salesforce/schema/Account.Healthloop_Next_Action_Owner__c';
import NEXT_ACTION_DUE_FIELD from '@salesforce/schema/Account.Healthloop_Next_Action_Due__c';
import LAST_ACTIVITY_AT_FIELD from '@salesforce/schema/Account.Healthloop_Last_Activity_At__c';
import ACTIVE_USERS_FIELD from '@salesforce/schema/Account.Healthloop_Active_Users__c';
import SEATS_FIELD from '@salesforce/schema/Account.Healthloop_Seats__c';
import FEATURES_ADOPTED_FIELD from '@salesforce/schema/Account.Healthloop_Features_Adopted__c';
import OPEN_TICKETS_FIELD from '@salesforce/schema/Account.Healthloop_Open_Tickets__c';
import RENEWAL_DATE_FIELD from '@salesforce/schema/Account.Healthloop_Renewal_Date__c';
import MRR_FIELD from '@salesforce/schema/Account.Healthloop_Mrr__c';
import ACCOUNT_URL_FIELD from '@salesforce/schema/Account.Healthloop_Account_Url__c';
import SCORED_AT_FIELD from '@salesforce/schema/Account.Healthloop_Scored_At__c';

import { buildHealthView } from './healthView';
import { sparkline } from './sparkline';

/** Value key → Account field, as healthloop provisions them (Healthloop_<Key_Parts>__c). */
const FIELDS = {
    score: SCORE_FIELD,
    tier: TIER_FIELD,
    trend: TREND_FIELD,
    trend_delta: TREND_DELTA_FIELD,
    reason: REASON_FIELD,
    churn_probability: CHURN_PROBABILITY_FIELD,
    score_history: SCORE_HISTORY_FIELD,
    activity: ACTIVITY_FIELD,
    engagement: ENGAGEMENT_FIELD,
    milestones: MILESTONES_FIELD,
    recency: RECENCY_FIELD,
    signal_notes: SIGNAL_NOTES_FIELD,
    open_triggers: OPEN_TRIGGERS_FIELD,
    next_action: NEXT_ACTION_FIELD,
    next_action_owner: NEXT_ACTION_OWNER_FIELD,
    next_action_due: NEXT_ACTION_DUE_FIELD,
    last_activity_at: LAST_ACTIVITY_AT_FIELD,
    active_users: ACTIVE_USERS_FIELD,
    seats: SEATS_FIELD,
    features_adopted: FEATURES_ADOPTED_FIELD,
    open_tickets: OPEN_TICKETS_FIELD,
    renewal_date: RENEWAL_DATE_FIELD,
    mrr: MRR_FIELD,
    account_url: ACCOUNT_URL_FIELD,
    scored_at: SCORED_AT_FIELD
};

/** View-model tone → SLDS badge theme. Churning shares Critical's red and adds a warning icon. */
const BADGE_THEMES = {
    success: 'slds-theme_success',
    info: 'slds-theme_info',
    warning: 'slds-theme_warning',
    error: 'slds-theme_error',
    danger: 'slds-theme_error',
    default: ''
};

const TREND_ICONS = { improving: 'utility:arrowup', stable: 'utility:forward', declining: 'utility:arrowdown' };

export default class HealthloopCard extends LightningElement {
    @api recordId;

    view;
    error;

    // optionalFields: a field the viewer may not read is left out instead of failing the whole card.
    @wire(getRecord, { recordId: '$recordId', optionalFields: Object.values(FIELDS) })
    wiredAccount({ data, error }) {
        if (data) {
            const values = {};
            Object.keys(FIELDS).forEach((key) => {
                values[key] = getFieldValue(data, FIELDS[key]);
            });
            this.view = buildHealthView(values, { now: Date.now(), locale: LOCALE, timeZone: TIME_ZONE, noun: 'account' });
            this.error = undefined;
        } else if (error) {
            this.error = error;
            this.view = undefined;
        }
    }

    get isLoading() {
        return !this.view && !this.error;
    }

    get notScored() {
        return Boolean(this.view) && !this.view.scored;
    }

    get errorMessage() {
        const body = this.error && this.error.body;
        if (Array.isArray(body)) {
            return body.map((item) => item.message).join(', ');
        }
        return (body && body.message) || (this.error && this.error.message) || 'unknown error';
    }

    get tierClass() {
        return BADGE_THEMES[this.view.tier ? this.view.tier.tone : 'default'];
    }

    get tierText() {
        return this.view.tier ? `${this.view.scoreText} · ${this.view.tier.label}` : this.view.scoreText;
    }

    get tierIcon() {
        return this.view.tier && this.view.tier.tone === 'danger' ? 'utility:warning' : undefined;
    }

    get tierIconText() {
        return this.tierIcon ? `${this.view.tier.label}: highest risk` : undefined;
    }

    get trendIcon() {
        return this.view.trend && this.view.trend.direction ? TREND_ICONS[this.view.trend.direction] : undefined;
    }

    get chart() {
        return sparkline(this.view.history.points);
    }

    get signals() {
        return this.view.signals.map((signal) => ({
            ...signal,
            hasValue: signal.value !== null,
            dataId: `signal-${signal.key}`,
            barId: `signal-${signal.key}-bar`,
            noteId: `signal-${signal.key}-note`
        }));
    }

    get hasTriggers() {
        return this.view.triggers.total > 0;
    }

    get triggers() {
        return this.view.triggers.shown.map((trigger) => ({ ...trigger, dataId: `trigger-${trigger.id}` }));
    }

    get actionDue() {
        const action = this.view.action;
        return action.dueRelative ? `${action.dueText} (${action.dueRelative})` : action.dueText;
    }

    get facts() {
        const { usage, renewal } = this.view;
        const withRelative = (text, relative) => (relative ? `${text} (${relative})` : text);
        return [
            ['last-activity', 'Last product activity', withRelative(usage.lastActivity, usage.lastActivityRelative)],
            ['active-users', 'Active users (30 d)', usage.activeUsers],
            ['features', 'Features adopted', usage.featuresAdopted],
            ['open-tickets', 'Open tickets', usage.openTickets],
            ['renewal', 'Renewal', withRelative(renewal.date, renewal.relative)],
            ['mrr', 'MRR', renewal.mrr]
        ].map(([id, label, text]) => ({ id, label, text, dataId: `fact-${id}` }));
    }
}
