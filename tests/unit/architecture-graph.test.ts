import { describe, expect, it } from 'vitest';
import { functionDefinitions, parseTemplate, resourcesOfType } from '../../emulator/template.ts';
import {
  architectureGraph,
  architectureMermaid,
  layeredLayout,
  stateMachineGraph,
  stateMachineMermaid,
} from '../../support/architecture-graph.ts';
import { projectTemplate } from '../../support/project.ts';

type Events = Record<string, { Type: string; Properties: Record<string, any> }>;

describe('the architecture graph of template.yaml', () => {
  const template = projectTemplate();
  const graph = architectureGraph(template);
  const edge = (from: string, to: string, kind: string) => graph.edges.find((e) => e.from === from && e.to === to && e.kind === kind);

  it('has a node for every function, table, topic, queue and state machine', () => {
    const ids = graph.nodes.map((node) => node.id);
    for (const definition of functionDefinitions(template)) expect(ids).toContain(definition.logicalId);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::Serverless::StateMachine']) {
      for (const [id] of resourcesOfType(template, type)) expect(ids).toContain(id);
    }
  });

  it('draws every event source of every function as an edge into it', () => {
    for (const definition of functionDefinitions(template)) {
      for (const [name, source] of Object.entries((definition.resource.Properties?.Events ?? {}) as Events)) {
        const properties = source.Properties;
        const from =
          source.Type === 'HttpApi'
            ? properties.ApiId.Ref
            : source.Type === 'DynamoDB'
              ? properties.Stream['Fn::GetAtt'][0]
              : source.Type === 'SQS'
                ? properties.Queue['Fn::GetAtt'][0]
                : undefined;
        expect(from, `${definition.logicalId}.${name} (${source.Type})`).toBeDefined();
        expect(edge(from, definition.logicalId, 'event'), `${from} → ${definition.logicalId}`).toBeDefined();
      }
    }
  });

  it('gives IngestFunction its HTTP route from the API and its table permissions', () => {
    expect(edge('ParcelApi', 'IngestFunction', 'event')?.label.split(', ')).toEqual([
      'POST /v1/warehouses/{warehouseId}/events',
      'POST /v1/events',
    ]);
    expect(edge('IngestFunction', 'ParcelTable', 'policy')?.label.split(', ')).toEqual(
      expect.arrayContaining(['DynamoDBWritePolicy', 'DynamoDBReadPolicy']),
    );
  });

  it('follows each SNS subscription from its topic to the queue it feeds', () => {
    const queueSubscriptions = resourcesOfType(template, 'AWS::SNS::Subscription').filter(([, s]) => s.Properties?.Protocol === 'sqs');
    expect(queueSubscriptions.length).toBeGreaterThan(0);
    for (const [id, subscription] of queueSubscriptions) {
      const topic = subscription.Properties?.TopicArn.Ref;
      const endpoint = subscription.Properties?.Endpoint['Fn::GetAtt'][0];
      expect(edge(topic, endpoint, 'subscription'), id).toBeDefined();
    }
  });

  it('renders as a Mermaid flowchart naming every node', () => {
    const mermaid = architectureMermaid(graph);
    expect(mermaid.startsWith('flowchart LR\n')).toBe(true);
    for (const node of graph.nodes) expect(mermaid).toContain(node.id);
  });
});

describe('the architecture graph of a small template', () => {
  const template = parseTemplate(`
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  Table:
    Type: AWS::DynamoDB::Table
  Topic:
    Type: AWS::SNS::Topic
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 3
  Dlq:
    Type: AWS::SQS::Queue
  Failures:
    Type: AWS::SQS::Queue
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Endpoint: !GetAtt Queue.Arn
      Protocol: sqs
      FilterPolicy:
        channel: [sms]
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBWritePolicy:
            TableName: !Ref Table
        - SSMParameterReadPolicy:
            ParameterName: /not/a/resource
      Events:
        Post:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /things
            Method: post
  Router:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - SNSPublishMessagePolicy:
            TopicName: !GetAtt Topic.TopicName
      Events:
        Stream:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt Failures.Arn
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Messages:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        ConsumerArn: !GetAtt Consumer.Arn
        Alerts: !Sub "\${Topic}"
`);

  it('has exactly the edges the template declares', () => {
    const edges = architectureGraph(template).edges.map((e) => `${e.from} -${e.kind}-> ${e.to} [${e.label}]`);
    expect(edges.sort()).toEqual(
      [
        'Api -event-> Writer [POST /things]',
        'Writer -policy-> Table [DynamoDBWritePolicy]',
        'Table -event-> Router [stream]',
        'Router -on-failure-> Failures [on failure]',
        'Router -policy-> Topic [SNSPublishMessagePolicy]',
        'Topic -subscription-> Queue [channel=sms]',
        'Queue -dead-letter-> Dlq [after 3 receives]',
        'Queue -event-> Consumer [messages]',
        'Machine -substitution-> Consumer [ConsumerArn]',
        'Machine -substitution-> Topic [Alerts]',
      ].sort(),
    );
  });

  it('adds the implicit API SAM creates for an HttpApi event without ApiId', () => {
    const implicit = parseTemplate(`
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: { Type: HttpApi, Properties: { Path: /x, Method: get } }
`);
    const graph = architectureGraph(implicit);
    expect(graph.nodes).toContainEqual({ id: 'ServerlessHttpApi', kind: 'api', label: 'ServerlessHttpApi' });
    expect(graph.edges).toEqual([{ from: 'ServerlessHttpApi', to: 'Fn', kind: 'event', label: 'GET /x' }]);
  });
});

describe('the graph of a state machine', () => {
  const definition = {
    StartAt: 'Wait',
    States: {
      Wait: { Type: 'Wait' as const, SecondsPath: '$.delay', Next: 'Work' },
      Work: { Type: 'Task' as const, Next: 'Drifted', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Alert' }] },
      Drifted: {
        Type: 'Choice' as const,
        Choices: [{ Variable: '$.drift', NumericGreaterThan: 0, Next: 'Tell' }],
        Default: 'Done',
      },
      Tell: { Type: 'Pass' as const, End: true },
      Done: { Type: 'Succeed' as const },
      Alert: { Type: 'Fail' as const },
    },
  };
  const graph = stateMachineGraph(definition);

  it('has every transition: Next, Choices, Default and Catch', () => {
    expect(graph.edges).toEqual([
      { from: 'Wait', to: 'Work', kind: 'next', label: '' },
      { from: 'Work', to: 'Drifted', kind: 'next', label: '' },
      { from: 'Work', to: 'Alert', kind: 'catch', label: 'catch States.ALL' },
      { from: 'Drifted', to: 'Tell', kind: 'choice', label: '$.drift > 0' },
      { from: 'Drifted', to: 'Done', kind: 'default', label: 'otherwise' },
    ]);
    expect(graph.states.filter((state) => state.end).map((state) => state.name)).toEqual(['Tell', 'Done', 'Alert']);
  });

  it('lays states out in layers along the transitions', () => {
    const layers = Object.fromEntries(
      layeredLayout(
        graph.states.map((state) => state.name),
        graph.edges,
      ).map((placed) => [placed.id, placed.layer]),
    );
    expect(layers).toEqual({ Wait: 0, Work: 1, Drifted: 2, Alert: 2, Tell: 3, Done: 3 });
  });

  it('survives a cycle (a retry loop) when laying out', () => {
    const placed = layeredLayout(
      ['A', 'B', 'C'],
      [
        { from: 'A', to: 'B' },
        { from: 'B', to: 'C' },
        { from: 'C', to: 'B' },
      ],
    );
    expect(placed.map((p) => p.layer)).toEqual([0, 1, 2]);
  });

  it('renders as a Mermaid flowchart with the start, the Catch as a dotted arrow and the end', () => {
    const mermaid = stateMachineMermaid(graph);
    expect(mermaid).toContain('start((" ")) --> s0');
    expect(mermaid).toContain('s1 -.->|"catch States.ALL"| s5');
    expect(mermaid).toContain('s3 --> finish');
    expect(mermaid).not.toContain('s5 --> finish');
  });
});
