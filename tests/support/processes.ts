import { execFileSync } from 'node:child_process';

/** Process ids of the DynamoDB Local JVMs running anywhere below `pid` in the process tree. */
export function dynamoJvmsBelow(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length >= 3)
    .map((columns) => ({ pid: Number(columns[0]), ppid: Number(columns[1]), args: columns.slice(2).join(' ') }));
  const below = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const row of rows) {
      if (below.has(row.ppid) && !below.has(row.pid)) {
        below.add(row.pid);
        grew = true;
      }
    }
  }
  return rows
    .filter((row) => row.pid !== pid && below.has(row.pid) && row.args.startsWith('java ') && row.args.includes('DynamoDBLocal.jar'))
    .map((row) => row.pid);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
