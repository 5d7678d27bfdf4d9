/**
 * The policy of requireRabbitAndOslo(), requireKafkaAndOslo() and requireArtemisAndOslo(),
 * without a broker: run when everything is there, skip loudly on a developer machine, fail under CI.
 */
import { describe, expect, it, vi } from 'vitest';
import { decide, isCi, probeProblems, type InteropProbe } from '../src/probe.js';

const missing: InteropProbe = {
  rabbitProblem: 'RabbitMQ: cannot connect to 127.0.0.1:5672 (ECONNREFUSED)',
  pythonProblem: 'oslo.messaging: `/usr/bin/python3 -c "import oslo_messaging"` failed: ModuleNotFoundError',
};

describe('requireRabbitAndOslo policy', () => {
  it('runs when RabbitMQ, its management API and oslo.messaging are all there', () => {
    const warn = vi.fn();
    expect(decide({ osloVersion: '14.0.3' }, { CI: 'true' }, warn)).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('skips with a loud warning naming every missing piece outside CI', () => {
    const warn = vi.fn();
    expect(decide(missing, {}, warn)).toBe(false);
    expect(warn).toHaveBeenCalledOnce();
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toMatch(/SKIPPING the oslo.messaging interop suite/);
    expect(message).toContain(missing.rabbitProblem);
    expect(message).toContain(missing.pythonProblem);
    expect(message).toMatch(/tools\/brokers\/rabbitmq\.sh/);
  });

  it('fails under CI instead of skipping', () => {
    const warn = vi.fn();
    expect(() => decide(missing, { CI: 'true' }, warn)).toThrow(/cannot run under CI \(CI=true\)[\s\S]*cannot connect to 127\.0\.0\.1:5672[\s\S]*import oslo_messaging/);
    expect(() => decide({ managementProblem: 'management API answered 401' }, { CI: '1' }, warn)).toThrow(/management API answered 401/);
    expect(warn).not.toHaveBeenCalled();
  });

  it('reads CI as most CI systems set it', () => {
    expect([isCi({ CI: 'true' }), isCi({ CI: '1' }), isCi({ CI: 'TRUE' }), isCi({ CI: 'woodpecker' })]).toEqual([true, true, true, true]);
    expect([isCi({}), isCi({ CI: '' }), isCi({ CI: 'false' }), isCi({ CI: '0' })]).toEqual([false, false, false, false]);
    expect(probeProblems({ ...missing, osloVersion: undefined })).toHaveLength(2);
  });
});

describe('requireKafkaAndOslo policy', () => {
  const kafkaMissing: InteropProbe = {
    osloVersion: '14.0.3',
    kafkaProblem: 'Kafka: cannot connect to 127.0.0.1:9092 (ECONNREFUSED)',
    confluentKafkaProblem: 'confluent_kafka (oslo\'s kafka:// driver): `/usr/bin/python3 -c "import confluent_kafka"` failed: ModuleNotFoundError: No module named \'confluent_kafka\'',
  };

  it('runs the kafka files with Kafka and confluent_kafka, whatever RabbitMQ does (and the other way round)', () => {
    const warn = vi.fn();
    expect(decide({ ...missing, pythonProblem: undefined, osloVersion: '14.0.3' }, { CI: 'true' }, warn, 'kafka')).toBe(true);
    expect(decide(kafkaMissing, { CI: 'true' }, warn, 'rabbit')).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('skips loudly, naming Kafka, confluent_kafka and tools/brokers/kafka.sh', () => {
    const warn = vi.fn();
    expect(decide(kafkaMissing, {}, warn, 'kafka')).toBe(false);
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toMatch(/SKIPPING the oslo.messaging kafka:\/\/ interop tests/);
    expect(message).toContain(kafkaMissing.kafkaProblem);
    expect(message).toContain(kafkaMissing.confluentKafkaProblem);
    expect(message).toMatch(/tools\/brokers\/kafka\.sh/);
  });

  it('fails under CI instead of skipping; a missing oslo is reported once, not as a missing confluent_kafka too', () => {
    expect(() => decide(kafkaMissing, { CI: 'true' }, vi.fn(), 'kafka')).toThrow(/kafka:\/\/ interop tests cannot run under CI[\s\S]*127\.0\.0\.1:9092[\s\S]*confluent_kafka/);
    expect(probeProblems({ pythonProblem: 'no oslo', confluentKafkaProblem: 'no confluent_kafka' }, 'kafka')).toEqual(['no oslo']);
  });
});

describe('requireArtemisAndOslo policy', () => {
  const amqpMissing: InteropProbe = {
    osloVersion: '14.0.3',
    amqpProblem: 'Artemis (AMQP 1.0): cannot connect to 127.0.0.1:5673 (ECONNREFUSED)',
    pyngusProblem: 'pyngus/proton (oslo\'s amqp:// driver): `/usr/bin/python3 -c "import pyngus, proton"` failed: ModuleNotFoundError: No module named \'pyngus\'',
  };

  it('runs the amqp files with Artemis, pyngus and proton, whatever RabbitMQ and Kafka do (and the other way round)', () => {
    const warn = vi.fn();
    expect(decide({ ...missing, pythonProblem: undefined, osloVersion: '14.0.3', kafkaProblem: 'no Kafka' }, { CI: 'true' }, warn, 'amqp')).toBe(true);
    expect(decide(amqpMissing, { CI: 'true' }, warn, 'rabbit')).toBe(true);
    expect(decide(amqpMissing, { CI: 'true' }, warn, 'kafka')).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it('skips loudly, naming Artemis, pyngus and tools/brokers/artemis.sh', () => {
    const warn = vi.fn();
    expect(decide(amqpMissing, {}, warn, 'amqp')).toBe(false);
    const message = String(warn.mock.calls[0]![0]);
    expect(message).toMatch(/SKIPPING the oslo.messaging amqp:\/\/ \(AMQP 1.0, Artemis\) interop tests/);
    expect(message).toContain(amqpMissing.amqpProblem);
    expect(message).toContain(amqpMissing.pyngusProblem);
    expect(message).toMatch(/tools\/brokers\/artemis\.sh/);
  });

  it('fails under CI instead of skipping; a missing oslo is reported once, not as a missing pyngus too', () => {
    expect(() => decide(amqpMissing, { CI: 'true' }, vi.fn(), 'amqp')).toThrow(/amqp:\/\/ \(AMQP 1.0, Artemis\) interop tests cannot run under CI[\s\S]*127\.0\.0\.1:5673[\s\S]*pyngus/);
    expect(probeProblems({ pythonProblem: 'no oslo', pyngusProblem: 'no pyngus' }, 'amqp')).toEqual(['no oslo']);
  });
});
