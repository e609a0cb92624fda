import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEMPLATE_PATH } from '../../support/project.ts';

// cfn-lint runs the real SAM transform (aws-sam-translator) and CloudFormation's own checks on
// its output: the closest this machine gets to `sam validate --lint`. It comes with the machine
// image (pip); PyPI is not reachable here, so a machine without it fails this test by name.
const scratch = mkdtempSync(join(tmpdir(), 'parcelcast-cfn-lint-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cfnLint(path: string) {
  const result = spawnSync('cfn-lint', [path], { encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw new Error(`cfn-lint is needed for this test and could not run: ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('cfn-lint with the SAM transform (needs cfn-lint on PATH)', () => {
  it('finds nothing wrong with template.yaml', () => {
    expect(cfnLint(TEMPLATE_PATH)).toEqual({ status: 0, output: '' });
  }, 120_000);

  it('rejects a broken copy: an IAM-authorised route on an API without the IAM authorizer', () => {
    const broken = join(scratch, 'template.yaml');
    writeFileSync(broken, readFileSync(TEMPLATE_PATH, 'utf8').replace('EnableIamAuthorizer: true', 'EnableIamAuthorizer: false'));
    const result = cfnLint(broken);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('Unable to set Authorizer [AWS_IAM]');
  }, 120_000);
});
