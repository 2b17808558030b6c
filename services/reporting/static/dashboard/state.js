// The page's elements and what it is showing now (one object every module shares).

import { DEFAULT_FIGURE, DEFAULT_TOPIC } from './config.js';

const $ = (id) => document.getElementById(id);
export const el = {
  form: $('query'), unit: $('unit'), kind: $('kind'), month: $('month'), quarter: $('quarter'),
  year: $('year'), fromMonth: $('from-month'), fromYear: $('from-year'), toMonth: $('to-month'),
  toYear: $('to-year'), fMonth: $('f-month'), fQuarter: $('f-quarter'), fYear: $('f-year'),
  fRange: $('f-range'), message: $('message'), prompt: $('prompt'), result: $('result'),
  trail: $('trail'), unitName: $('unit-name'), unitMeta: $('unit-meta'),
  periodLabel: $('period-label'), periodRange: $('period-range'), cards: $('cards'),
  allBody: document.querySelector('#all-table tbody'), chartPanel: $('chart-panel'),
  chart: $('chart'), figure: $('figure'), figureLabel: $('figure-label'),
  childHead: document.querySelector('#children-table thead tr'),
  childBody: document.querySelector('#children-table tbody'), childWrap: $('children-wrap'),
  childCount: $('child-count'), noChildren: $('no-children'), childHint: $('children-hint'),
  updated: $('updated'), updatedText: $('updated-text'), print: $('print'),
  allTable: $('all-table'), hideZero: $('hide-zero'), who: $('who'),
  term: $('term'), fTerm: $('f-term'), countryBtn: $('country-btn'),
  viewNote: $('view-note'), ratesPanel: $('rates-panel'), rates: $('rates'), ratesMore: $('rates-more'),
  progressPanel: $('progress-panel'), progress: $('progress'), topic: $('topic'),
  topicLabel: $('topic-label'), legend: $('progress-legend'),
  views: [...document.querySelectorAll('input[name="view"]')],
  reportActions: $('report-actions'), reportDocx: $('report-docx'), reportHtml: $('report-html'),
  reportBox: $('report-box'), shortcomings: $('shortcomings'), directions: $('directions'),
  sectionsSave: $('sections-save'), sectionsStatus: $('sections-status'),
};

export const today = new Date();
export const state = {
  unit: '',
  period: '',
  figure: DEFAULT_FIGURE,
  labels: null,        // Map figure key -> Vietnamese label, in report order (GET figures)
  groups: [],          // [{title, figures: [key]}], the figure groups in display order (GET figures)
  rateInfo: new Map(), // Map rate key -> {label, numerator, denominator, group, percent} (GET figures)
  view: 'as_it_was',   // as_it_was | as_today (the API's `view`)
  topic: DEFAULT_TOPIC,
  progressSig: '',
  data: null,          // the summary on screen
  shownKey: '',        // "unit|period|view" of the summary on screen; a refresh of it flashes changes
  trail: [],           // units above the current one, reached by drilling down: [{code, name}]
  sort: { key: 'code', dir: 1 },
  seq: 0,
  timer: 0,
  ctrl: null,
  lastOk: null,
  dueWhileHidden: false,
  focusHeading: false,
  chartSig: '',
};
