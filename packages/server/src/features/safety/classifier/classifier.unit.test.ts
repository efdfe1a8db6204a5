import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SafetyLabel, type SafetyScores } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { readJsonl } from './dataset';
import { MAX_SCORED_CHARS, featurize, tokenize } from './features';
import { classifierFromModel, flaggedLabels, loadSafetyClassifier } from './index';
import { evaluate } from './metrics';
import { type ModelFile, decodeModel, encodeModel } from './model';
import { type Example, fitPlatt, trainModel } from './train';

const FLAG = 0.5;
const classifier = loadSafetyClassifier();
const max = (scores: SafetyScores) => Math.max(...Object.values(scores));

describe('the shipped classifier', () => {
  it('loads once and scores every label in 0..1', () => {
    expect(loadSafetyClassifier()).toBe(classifier);
    const scores = classifier.score('hello there');
    expect(Object.keys(scores).sort()).toEqual([...SafetyLabel.options].sort());
    for (const score of Object.values(scores)) (expect(score).toBeGreaterThanOrEqual(0), expect(score).toBeLessThanOrEqual(1));
  });

  it.each<[SafetyLabel, string]>([
    ['harassment', 'you are a worthless loser, nobody likes you'],
    ['harassment', 'shut up you ugly freak'],
    ['threat', 'I will kill you after school'],
    ['threat', "i know where you live, i'm going to stab you"],
    ['hate', 'immigrants are vermin and should be deported'],
    ['sexual_harassment', 'send nudes'],
    ['sexual_harassment', 'show me your body on cam'],
    ['grooming', "you're so mature for your age, don't tell your parents we talk"],
    ['grooming', "i'll buy you a new phone but keep this our secret"],
  ])('flags %s: %s', (label, text) => {
    expect(classifier.score(text)[label]).toBeGreaterThanOrEqual(FLAG);
  });

  it('sees through spacing, leetspeak and stretched letters', () => {
    expect(classifier.score('k1ll yourself l o s e r').harassment).toBeGreaterThanOrEqual(FLAG);
    expect(classifier.score('i will k.i.l.l you tomorrow').threat).toBeGreaterThanOrEqual(FLAG);
    expect(classifier.score('you are sooooo stuuuupid, you id1ot').harassment).toBeGreaterThanOrEqual(FLAG);
  });

  it.each([
    'this exam is killing me',
    'you killed it!',
    "I'm dying of laughter",
    'kill the process',
    'shoot me a message',
    'that movie was sick',
    'gg ez, we destroyed them',
    'how do I report someone who is harassing me?',
    "don't tell mom but I ate the last pizza",
    'hello',
  ])('does not flag the hard negative: %s', (text) => {
    expect(max(classifier.score(text))).toBeLessThan(0.3);
  });

  it.each(['our club welcomes muslims', 'discrimination against refugees is still a huge problem', 'my neighbours are jews and they are lovely', 'gay people deserve equal rights'])(
    'does not read a neutral or supportive mention of a group as hate: %s',
    (text) => {
      expect(classifier.score(text).hate).toBeLessThan(FLAG);
    },
  );
});

describe('flaggedLabels', () => {
  it('lists the labels at or above the threshold, highest first', () => {
    const scores: SafetyScores = { harassment: 0.6, sexual_harassment: 0.1, grooming: 0.5, threat: 0.92, hate: 0.49 };
    expect(flaggedLabels(scores, 0.5)).toEqual(['threat', 'harassment', 'grooming']);
    expect(flaggedLabels(scores, 0.95)).toEqual([]);
  });
});

describe('normalisation and limits', () => {
  it('undoes obfuscation and drops control and invisible characters', () => {
    expect(tokenize('K1LL   y0u!!! l o s e r')).toEqual(['kill', 'you', 'loser']);
    expect(tokenize('k\u200bi\u200dll\u0000you\u202e now')).toEqual(['kill', 'you', 'now']);
    expect(tokenize("you're stuuuupid, f.u.c.k ＹＯＵ")).toEqual(['you', 'are', 'stuupid', 'fuck', 'you']);
    expect(tokenize('4 of us at 5pm')).toEqual(['4', 'of', 'us', 'at', 'spm']);
    expect(tokenize("i'll get u, ur gonna see")).toEqual(['i', 'will', 'get', 'you', 'your', 'going', 'to', 'see']);
    expect(tokenize('constructor __proto__ toString hasOwnProperty')).toEqual(['constructor', 'proto', 'tostring', 'hasownproperty']);
  });

  it('scores only the first 4,000 characters of a huge message, quickly', () => {
    const head = 'you are a worthless loser '.repeat(Math.ceil(MAX_SCORED_CHARS / 26)).slice(0, MAX_SCORED_CHARS);
    const huge = head + 'x'.repeat(2_000_000);
    const started = performance.now();
    const scores = classifier.score(huge);
    expect(performance.now() - started).toBeLessThan(200);
    expect(scores).toEqual(classifier.score(head));
    expect(classifier.score('')).toEqual(classifier.score('\u0000\u0001\n\t '));
    expect(featurize('\u0000'.repeat(10_000), 10).indices.length).toBe(0);
  });
});

const FIXTURE: Example[] = [
  ...['you stupid loser', 'go away loser', 'nobody likes you loser', 'you are a stupid idiot', 'idiot go away'].map((text, i) => ({ text, labels: ['harassment' as const], group: `h${i % 2}` })),
  ...['i will hurt you', 'i will find you and hurt you', 'you will get hurt tomorrow'].map((text, i) => ({ text, labels: ['threat' as const], group: `t${i % 2}` })),
  ...['good morning', 'see you tomorrow', 'nice game', 'thanks a lot', 'you are great', 'lunch at noon', 'go team', 'i like you'].map((text, i) => ({ text, labels: [], group: `b${i % 3}` })),
];

describe('training', () => {
  const options = { bits: 12, epochs: 20, learningRate: 0.5, l2: 1e-6, seed: 7, calibrationFolds: 2 };

  it('is deterministic: the same data and seed give the same model file', () => {
    const a = encodeModel(trainModel(FIXTURE, options), {});
    const b = encodeModel(trainModel(FIXTURE, options), {});
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const c = encodeModel(trainModel(FIXTURE, { ...options, seed: 8 }), {});
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('learns the fixture and survives the round trip through its file', () => {
    const file = encodeModel(trainModel(FIXTURE, { ...options, calibrationFolds: 0 }), {});
    const trained = classifierFromModel(JSON.parse(JSON.stringify(file)) as ModelFile);
    expect(trained.score('you loser').harassment).toBeGreaterThan(trained.score('good morning').harassment);
    expect(trained.score('i will hurt you').threat).toBeGreaterThan(0.5);
    expect(trained.score('thanks, see you at lunch').threat).toBeLessThan(0.5);
  });

  it('refuses a model file for other labels or with damaged weights', () => {
    const file = encodeModel(trainModel(FIXTURE, { ...options, calibrationFolds: 0 }), {});
    expect(() => decodeModel({ ...file, labels: ['harassment'] })).toThrow(/labels/);
    expect(() => decodeModel({ ...file, weights: file.weights.map(() => 'AAAA') })).toThrow(/bytes/);
    expect(() => decodeModel({ ...file, version: 2 } as unknown as ModelFile)).toThrow(/format/);
  });

  it('fits a Platt calibration that keeps the order of the logits', () => {
    const logits = [-3, -2, -1, -0.5, 0.5, 1, 2, 3];
    const targets = [0, 0, 0, 1, 0, 1, 1, 1];
    const { a, b } = fitPlatt(logits, targets);
    expect(a).toBeGreaterThan(0);
    expect(Math.abs(b)).toBeLessThan(0.5);
    expect(fitPlatt([1, 2], [0, 0])).toEqual({ a: 1, b: 0 });
  });
});

describe('evaluation metrics', () => {
  it('computes precision, recall and F1 from a known confusion', () => {
    const s = (harassment: number, threat = 0): SafetyScores => ({ harassment, sexual_harassment: 0, grooming: 0, threat, hate: 0 });
    const cases = [
      // harassment: 3 true positives, 1 false positive, 2 false negatives, 2 true negatives.
      { labels: ['harassment' as const], scores: s(0.9) },
      { labels: ['harassment' as const], scores: s(0.7) },
      { labels: ['harassment' as const, 'threat' as const], scores: s(0.5, 0.2) },
      { labels: ['harassment' as const], scores: s(0.4) },
      { labels: ['harassment' as const], scores: s(0.1) },
      { labels: [], scores: s(0.6) },
      { labels: [], scores: s(0.2) },
      { labels: [], scores: s(0.3, 0.8) },
    ];
    const result = evaluate(cases, 0.5);
    expect(result.labels.harassment).toMatchObject({ tp: 3, fp: 1, fn: 2, tn: 2 });
    expect(result.labels.harassment.precision).toBeCloseTo(0.75);
    expect(result.labels.harassment.recall).toBeCloseTo(0.6);
    expect(result.labels.harassment.f1).toBeCloseTo((2 * 0.75 * 0.6) / 1.35);
    expect(result.labels.threat).toMatchObject({ tp: 0, fp: 1, fn: 1, tn: 6, precision: 0, recall: 0, f1: 0 });
    expect(result.labels.hate).toMatchObject({ tp: 0, fp: 0, fn: 0, precision: 0, recall: 0, f1: 0 });
    expect(result.micro).toMatchObject({ tp: 3, fp: 2, fn: 3 });
    expect(result).toMatchObject({ benignFlagged: 2, benignTotal: 3 });
  });
});

describe('data set files', () => {
  it('reads JSON lines and refuses a bad line with its number', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'safety-'));
    const file = path.join(dir, 'set.jsonl');
    fs.writeFileSync(file, '{"text":"hi","labels":[]}\n\n{"text":"go away loser","labels":["harassment"],"group":"g"}\n');
    expect(readJsonl(file)).toEqual([
      { text: 'hi', labels: [] },
      { text: 'go away loser', labels: ['harassment'], group: 'g' },
    ]);
    fs.writeFileSync(file, '{"text":"hi","labels":[]}\n{"text":"x","labels":["spam"]}\n');
    expect(() => readJsonl(file)).toThrow(/set.jsonl:2/);
    fs.rmSync(dir, { recursive: true });
  });
});
