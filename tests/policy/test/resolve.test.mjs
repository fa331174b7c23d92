// The resolver on small templates: each intrinsic, each synthesized id, each refusal.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resolveTemplate, ResolveError } from '../resolve.mjs'

const WHERE = { accountId: '111122223333', region: 'eu-west-1', stackName: 'my-stack' }

function resolveValue(value, { parameters = {}, declared = {}, conditions = {}, resources = {}, attributes = {} } = {}) {
  const template = {
    Parameters: declared,
    Conditions: conditions,
    Resources: { ...resources, Probe: { Type: 'AWS::SSM::Parameter', Properties: { Name: 'probe', Value: value } } },
  }
  return resolveTemplate(template, { ...WHERE, parameters, attributes }).resources.Probe.Properties.Value
}

test('pseudo parameters', () => {
  assert.equal(resolveValue({ Ref: 'AWS::AccountId' }), '111122223333')
  assert.equal(resolveValue({ Ref: 'AWS::Region' }), 'eu-west-1')
  assert.equal(resolveValue({ Ref: 'AWS::Partition' }), 'aws')
  assert.equal(resolveValue({ Ref: 'AWS::StackName' }), 'my-stack')
  assert.equal(resolveValue({ Ref: 'AWS::URLSuffix' }), 'amazonaws.com')
  assert.match(resolveValue({ Ref: 'AWS::StackId' }), /^arn:aws:cloudformation:eu-west-1:111122223333:stack\/my-stack\/[0-9a-f-]{36}$/)
  const china = resolveTemplate({ Resources: {} }, { ...WHERE, region: 'cn-north-1' })
  assert.equal(china.pseudo['AWS::Partition'], 'aws-cn')
  assert.equal(china.pseudo['AWS::URLSuffix'], 'amazonaws.com.cn')
})

test('parameters: defaults, overrides, lists, constraints', () => {
  const declared = {
    Mode: { Type: 'String', Default: 'a', AllowedValues: ['a', 'b'] },
    Ids: { Type: 'CommaDelimitedList', Default: '', AllowedPattern: '^$|^[0-9]{12}$' },
    Days: { Type: 'Number', Default: 7 },
  }
  assert.equal(resolveValue({ Ref: 'Mode' }, { declared }), 'a')
  assert.equal(resolveValue({ Ref: 'Mode' }, { declared, parameters: { Mode: 'b' } }), 'b')
  assert.deepEqual(resolveValue({ Ref: 'Ids' }, { declared }), [''])
  assert.deepEqual(resolveValue({ Ref: 'Ids' }, { declared, parameters: { Ids: '111111111111,222222222222' } }), [
    '111111111111',
    '222222222222',
  ])
  assert.equal(resolveValue({ Ref: 'Days' }, { declared }), '7')
  assert.throws(() => resolveValue('x', { declared, parameters: { Mode: 'c' } }), /not one of/)
  assert.throws(() => resolveValue('x', { declared, parameters: { Ids: '12' } }), /does not match/)
  assert.throws(() => resolveValue('x', { declared, parameters: { Nope: '1' } }), /not declared/)
  assert.throws(() => resolveValue('x', { declared: { Required: { Type: 'String' } } }), /no default/)
})

test('conditions, Fn::If, resource conditions and AWS::NoValue', () => {
  const declared = { Mode: { Type: 'String', Default: 'a' } }
  const conditions = {
    IsA: { 'Fn::Equals': [{ Ref: 'Mode' }, 'a'] },
    IsB: { 'Fn::Not': [{ Condition: 'IsA' }] },
    Both: { 'Fn::And': [{ Condition: 'IsA' }, { Condition: 'IsB' }] },
    Either: { 'Fn::Or': [{ Condition: 'IsA' }, { Condition: 'IsB' }] },
  }
  const value = {
    Keep: { 'Fn::If': ['IsA', 'yes', 'no'] },
    Drop: { 'Fn::If': ['IsB', 'x', { Ref: 'AWS::NoValue' }] },
    List: ['a', { 'Fn::If': ['Both', 'b', { Ref: 'AWS::NoValue' }] }, { 'Fn::If': ['Either', 'c', 'd'] }],
  }
  assert.deepEqual(resolveValue(value, { declared, conditions }), { Keep: 'yes', List: ['a', 'c'] })
  assert.deepEqual(resolveValue(value, { declared, conditions, parameters: { Mode: 'b' } }), {
    Keep: 'no',
    Drop: 'x',
    List: ['a', 'c'],
  })
  const template = {
    Parameters: declared,
    Conditions: conditions,
    Resources: { OnlyB: { Type: 'AWS::SNS::Topic', Condition: 'IsB', Properties: {} } },
  }
  assert.deepEqual(Object.keys(resolveTemplate(template, WHERE).resources), [])
  assert.deepEqual(Object.keys(resolveTemplate(template, { ...WHERE, parameters: { Mode: 'b' } }).resources), ['OnlyB'])
  // A reference to a resource whose condition is false is an error, as in CloudFormation.
  assert.throws(
    () => resolveValue({ Ref: 'OnlyB' }, { declared, conditions, resources: template.Resources }),
    /condition IsB is false/,
  )
})

test('Fn::Sub, Fn::Join, Fn::Select, Fn::Split', () => {
  const declared = { Name: { Type: 'String', Default: 'n' }, Ids: { Type: 'CommaDelimitedList', Default: 'a,b' } }
  assert.equal(resolveValue({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Name}:${!Literal}' }, { declared }), 'arn:aws:x:eu-west-1:n:${Literal}')
  assert.equal(resolveValue({ 'Fn::Sub': ['${A}-${Name}', { A: { Ref: 'AWS::AccountId' } }] }, { declared }), '111122223333-n')
  assert.equal(resolveValue({ 'Fn::Join': ['/', ['x', { Ref: 'Name' }]] }, { declared }), 'x/n')
  assert.equal(resolveValue({ 'Fn::Join': ['', { Ref: 'Ids' }] }, { declared }), 'ab')
  assert.equal(resolveValue({ 'Fn::Select': [1, { Ref: 'Ids' }] }, { declared }), 'b')
  assert.deepEqual(resolveValue({ 'Fn::Split': [':', 'a:b:c'] }), ['a', 'b', 'c'])
  assert.equal(resolveValue({ 'Fn::Select': ['2', { 'Fn::Split': [':', 'a:b:c'] }] }), 'c')
  assert.throws(() => resolveValue({ 'Fn::Select': [5, ['a']] }), /out of range/)
})

test('synthesized physical ids and attributes are realistic and deterministic', () => {
  const resources = {
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    PathRole: { Type: 'AWS::IAM::Role', Properties: { Path: '/service-role/' } },
    Function: { Type: 'AWS::Lambda::Function', Properties: {} },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/my/logs' } },
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alarms' } },
  }
  const value = {
    KeyArn: { 'Fn::GetAtt': ['Key', 'Arn'] },
    KeyId: { Ref: 'Key' },
    RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
    PathRoleArn: { 'Fn::GetAtt': 'PathRole.Arn' },
    FunctionName: { Ref: 'Function' },
    FunctionArn: { 'Fn::GetAtt': ['Function', 'Arn'] },
    QueueArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
    QueueName: { 'Fn::GetAtt': ['Queue', 'QueueName'] },
    LogsArn: { 'Fn::GetAtt': ['Logs', 'Arn'] },
    TopicArn: { Ref: 'Topic' },
    TopicArnAttribute: { 'Fn::GetAtt': ['Topic', 'TopicArn'] },
    InSub: { 'Fn::Sub': '${Role.Arn}|${Key}' },
  }
  const out = resolveValue(value, { resources })
  assert.match(out.KeyArn, /^arn:aws:kms:eu-west-1:111122223333:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(out.KeyArn.split('/')[1], out.KeyId)
  assert.match(out.RoleArn, /^arn:aws:iam::111122223333:role\/my-stack-Role-[A-Z0-9]{12}$/)
  assert.match(out.PathRoleArn, /^arn:aws:iam::111122223333:role\/service-role\/my-stack-PathRole-[A-Z0-9]{12}$/)
  assert.match(out.FunctionName, /^my-stack-Function-[A-Z0-9]{12}$/)
  assert.equal(out.FunctionArn, `arn:aws:lambda:eu-west-1:111122223333:function:${out.FunctionName}`)
  assert.equal(out.QueueArn, `arn:aws:sqs:eu-west-1:111122223333:${out.QueueName}`)
  assert.equal(out.LogsArn, 'arn:aws:logs:eu-west-1:111122223333:log-group:/my/logs:*')
  assert.equal(out.TopicArn, 'arn:aws:sns:eu-west-1:111122223333:alarms')
  assert.equal(out.TopicArnAttribute, out.TopicArn)
  assert.equal(out.InSub, `${out.RoleArn}|${out.KeyId}`)
  assert.deepEqual(resolveValue(value, { resources }), out)
})

test('attribute overrides replace synthesized values, and Ref follows', () => {
  const resources = { Key: { Type: 'AWS::KMS::Key', Properties: {} } }
  const arn = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555'
  const out = resolveValue({ Arn: { 'Fn::GetAtt': ['Key', 'Arn'] }, Id: { Ref: 'Key' } }, { resources, attributes: { 'Key.Arn': arn } })
  assert.deepEqual(out, { Arn: arn, Id: '11111111-2222-4333-8444-555555555555' })
})

test('anything unknown is refused', () => {
  assert.throws(() => resolveValue({ 'Fn::ImportValue': 'x' }), ResolveError)
  assert.throws(() => resolveValue({ 'Fn::FindInMap': ['a', 'b', 'c'] }), /unsupported intrinsic/)
  assert.throws(() => resolveValue({ Ref: 'Missing' }), /neither a parameter nor a resource/)
  assert.throws(() => resolveValue({ Ref: 'AWS::Unknown' }), /unknown pseudo parameter/)
  assert.throws(
    () => resolveValue({ 'Fn::GetAtt': ['Topic', 'Nope'] }, { resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: {} } } }),
    /unknown attribute/,
  )
  assert.throws(
    () => resolveTemplate({ Conditions: { C: { 'Fn::Contains': [] } }, Resources: {} }, WHERE),
    /not a condition expression/,
  )
})
