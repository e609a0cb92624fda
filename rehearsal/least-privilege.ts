import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import type { AwsClients } from './aws.ts';
import type { Authorization } from './moto.ts';

/**
 * Least privilege the other way round: the actions a role is granted that nothing in the rehearsal
 * asked IAM for. Information, not a verdict: some grants serve calls the rehearsal does not make
 * (the Lambda service's own log and trace writes, a retry path, a reconciliation moto cannot run).
 */

export interface RoleUsage {
  role: string;
  used: string[];
  unused: { action: string; policy: string }[];
  denied: string[];
}

const SERVICE_SIDE = /^(logs:(CreateLogGroup|CreateLogStream|PutLogEvents)|xray:.*)$/;

export async function roleUsage(clients: AwsClients, roleName: string, authorizations: Authorization[]): Promise<RoleUsage> {
  const mine = authorizations.filter((decision) => decision.principal.includes(`:assumed-role/${roleName}/`));
  const used = [...new Set(mine.filter((decision) => decision.allowed).map((decision) => decision.action))].sort();
  const denied = [
    ...new Set(mine.filter((decision) => !decision.allowed).map((decision) => `${decision.action} on ${decision.resource}`)),
  ].sort();

  const grants: { action: string; policy: string }[] = [];
  const { PolicyNames = [] } = await clients.iam.send(new ListRolePoliciesCommand({ RoleName: roleName }));
  for (const name of PolicyNames) {
    const { PolicyDocument } = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
    grants.push(...allowedActions(String(PolicyDocument)).map((action) => ({ action, policy: name })));
  }
  const { AttachedPolicies = [] } = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  for (const attached of AttachedPolicies) {
    const { Policy } = await clients.iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }));
    const { PolicyVersion } = await clients.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: Policy?.DefaultVersionId }),
    );
    grants.push(...allowedActions(String(PolicyVersion?.Document)).map((action) => ({ action, policy: String(attached.PolicyName) })));
  }
  const unused = grants.filter(({ action }) => !used.some((usedAction) => matches(action, usedAction)));
  return {
    role: roleName,
    used,
    denied,
    unused: unused.map((grant) =>
      SERVICE_SIDE.test(grant.action) ? { ...grant, policy: `${grant.policy} (used by the Lambda service)` } : grant,
    ),
  };
}

function allowedActions(document: string): string[] {
  const text = document.startsWith('%') ? decodeURIComponent(document) : document;
  const parsed = JSON.parse(text) as { Statement: Record<string, unknown> | Record<string, unknown>[] };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  return statements.filter((statement) => statement.Effect === 'Allow').flatMap((statement) => [statement.Action ?? []].flat() as string[]);
}

/** IAM's action matching: case-insensitive, `*` and `?` wildcards. */
function matches(pattern: string, action: string): boolean {
  const expression = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 'i').test(action);
}
