import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config';

const filesS3 = (url: string) => parseConfig({ FILES_S3_URL: url }).filesS3;
const refusal = (url: string) => {
  try {
    parseConfig({ FILES_S3_URL: url });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${url} was accepted`);
};

describe('FILES_S3_URL', () => {
  it('is unset by default: files stay under DATA_DIR', () => {
    expect(parseConfig({}).filesS3).toBeNull();
  });

  it('reads endpoint, bucket, prefix, region, TLS, addressing style and percent-encoded credentials', () => {
    expect(filesS3('s3://AKIAEXAMPLE:se%2Fcr%2Bet@minio.internal:9000/chat-files/parley/prod?region=eu-west-1&tls=false&forcePathStyle=true')).toEqual({
      endpoint: 'http://minio.internal:9000',
      region: 'eu-west-1',
      bucket: 'chat-files',
      keyPrefix: 'parley/prod/',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'se/cr+et' },
    });
  });

  it('defaults to HTTPS, us-east-1, path-style addressing, no prefix, and the SDK’s own credentials when none are given', () => {
    expect(filesS3('s3://s3.eu-central-1.amazonaws.com/chat-files?forcePathStyle=false')).toEqual({
      endpoint: 'https://s3.eu-central-1.amazonaws.com',
      region: 'us-east-1',
      bucket: 'chat-files',
      keyPrefix: '',
      forcePathStyle: false,
      credentials: null,
    });
  });

  it('explains what is wrong, naming the setting and never repeating the secret', () => {
    const cases: [string, string][] = [
      ['https://KEY:hunter2@host/bucket', 'Must start with s3://'],
      ['s3://KEY:hunter2@host', 'Needs a bucket name'],
      ['s3://KEY:hunter2@host/Bad_Bucket', 'Needs a bucket name'],
      ['s3://KEY:hunter2@host/bucket/my%20files', 'key prefix'],
      ['s3://KEY:hunter2@host/bucket?regoin=us-east-1', 'Unknown parameter "regoin"'],
      ['s3://KEY:hunter2@host/bucket?tls=no', 'tls must be true or false'],
      ['s3://KEY:hunter2@host/bucket?region=EU%20West', 'region must look like us-east-1'],
      ['s3://KEY@host/bucket', 'both the access key and the secret'],
      ['s3://KEY:hunter2%zz@host/bucket', 'percent-encoded'],
      ['not a url', 'Must look like s3://'],
    ];
    for (const [url, expected] of cases) {
      const message = refusal(url);
      expect(message).toContain('FILES_S3_URL');
      expect(message).toContain(expected);
      expect(message).not.toContain('hunter2');
    }
  });
});
