"""moto_server for `npm run rehearse`, with four additions the rehearsal needs from moto 5.x.

1. IAM on the resources AWS authorises. moto evaluates a caller's identity policies (an IAM user's,
   or an assumed role's inline and attached policies) once INITIAL_NO_AUTH_ACTION_COUNT requests
   have been served, but it checks every call against the resource "*" except for SQS, IAM, STS and
   S3. A statement scoped to a table, topic, parameter or state machine then never matches, and
   every least-privilege role is refused. Here each call is checked against the actions and
   resources AWS's Service Authorization Reference names for it: a batch as its single-message
   action (PublishBatch as sns:Publish), Invoke as lambda:InvokeFunction on the function, a
   DynamoDB transaction as each item's PutItem/UpdateItem/DeleteItem/ConditionCheckItem on its
   table, a publish to an SSE-KMS topic also as kms:GenerateDataKey and kms:Decrypt on the topic's
   key, an SES v2 SendEmail on the sending identity and the configuration set. Other calls keep
   moto's own check. Written by hand because no library evaluates IAM for moto; it covers the calls
   Parcelcast makes and falls back to moto for the rest.
2. Every decision is kept, so the rehearsal can report what each role used and was refused:
   GET /_rehearsal/authorizations.
3. moto never runs a function itself: its event source mappings would start each function in
   Docker (and count SQS receives while trying). The rehearsal runs the handlers and drives the
   mappings; here moto's own invocation answers with an empty error at once, which leaves stream
   records in place (without Docker, moto's own error text counts as a delivery and drops them).
   GET /_rehearsal/outbox?account=…&region=… returns the SMS and email moto recorded.
4. AWS End User Messaging SMS's SendTextMessage, which moto does not have (no pinpoint-sms-voice-v2
   backend): authorised as AWS authorises it (sms-voice:SendTextMessage on the origination identity
   the request names, a pool here) and recorded in the outbox beside SNS's SMS. Nothing else of the
   service: its pools, configuration sets and delivery events are not modelled.

Prints {"port": N} on its first line once it listens (port 0 picks a free one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import uuid
from typing import Any
from urllib.parse import unquote, urlparse

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from moto import settings
from moto.awslambda.models import LambdaFunction
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.iam.access_control import IAMRequest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

DECISIONS: list[dict[str, Any]] = []
DECISIONS_LOCK = threading.Lock()


def request_parameters(response: Any) -> dict[str, Any]:
    """The call's parameters: the JSON body for JSON and REST-JSON protocols, else the query form."""
    if isinstance(response.body, dict):
        return response.body  # DynamoDB's handler has already parsed it
    try:
        body = json.loads(response.body) if response.body else None
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and body:
        return body
    return {key: values[0] if isinstance(values, list) and len(values) == 1 else values for key, values in response.querystring.items()}


def credential_service(response: Any) -> str:
    scope = response.headers.get("Authorization", "").partition("Credential=")[2].partition(",")[0]
    parts = scope.split("/")
    return parts[3] if len(parts) > 3 else ""


# Batch operations IAM authorises as their single-message action (there is no sqs:SendMessageBatch
# or sns:PublishBatch permission).
BATCH_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage", "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}

TRANSACTION_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}


def required_permissions(response: Any, operation: str, moto_resource: str) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs AWS would authorise for this call."""
    service = credential_service(response)
    region, account = response.region, response.current_account
    params = request_parameters(response)

    def table(name: str) -> str:
        return name if name.startswith("arn:") else f"arn:aws:dynamodb:{region}:{account}:table/{name}"

    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            return [
                (f"dynamodb:{TRANSACTION_ACTIONS[kind]}", table(entry[kind]["TableName"]))
                for entry in params.get("TransactItems", [])
                for kind in entry
                if kind in TRANSACTION_ACTIONS
            ]
        if operation in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{operation}", table(name)) for name in params.get("RequestItems", {})]
        if "TableName" in params:
            index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
            return [(f"dynamodb:{operation}", table(params["TableName"]) + index)]
        if "StreamArn" in params:
            return [(f"dynamodb:{operation}", params["StreamArn"])]
        if "ShardIterator" in params:
            # moto's shard iterators start with the stream's ARN.
            return [(f"dynamodb:{operation}", str(params["ShardIterator"]).split("|")[0])]
    if service == "sqs" and operation in BATCH_ACTIONS:
        return [(f"sqs:{BATCH_ACTIONS[operation]}", moto_resource)]
    if service == "sns" and operation in ("Publish", "PublishBatch"):
        topic_arn = params.get("TopicArn") or params.get("TargetArn")
        if not topic_arn:
            return [("sns:Publish", "*")]  # straight to a phone number: IAM has no resource for it
        return [("sns:Publish", topic_arn)] + topic_key_permissions(topic_arn, account, region)
    if service == "ssm" and operation in ("GetParameter", "GetParameters", "GetParametersByPath"):
        names = params.get("Names") or [params.get("Name") or params.get("Path")]
        return [(f"ssm:{operation}", f"arn:aws:ssm:{region}:{account}:parameter/{str(name).lstrip('/')}") for name in names]
    if service == "states" and operation in ("StartExecution", "StartSyncExecution"):
        return [(f"states:{operation}", params.get("stateMachineArn", "*"))]
    if service == "states" and operation in ("DescribeExecution", "StopExecution"):
        return [(f"states:{operation}", params.get("executionArn", "*"))]
    if service == "lambda" and operation == "Invoke":
        name = unquote(response.path.rsplit("/", 2)[-2])
        arn = name if name.startswith("arn:") else f"arn:aws:lambda:{region}:{account}:function:{name}"
        return [("lambda:InvokeFunction", arn)]
    if service == "ses" and operation == "SendEmail":
        checks = [("ses:SendEmail", sending_identity(params.get("FromEmailAddress", ""), account, region))]
        if params.get("ConfigurationSetName"):
            checks.append(("ses:SendEmail", f"arn:aws:ses:{region}:{account}:configuration-set/{params['ConfigurationSetName']}"))
        return checks
    return [(f"{service}:{operation}", moto_resource)]


def topic_key_permissions(topic_arn: str, account: str, region: str) -> list[tuple[str, str]]:
    """Publishing to an SSE-KMS topic needs the publisher's own kms permissions on a customer key."""
    from moto.sns.models import sns_backends

    topic = sns_backends[account][region].topics.get(topic_arn)
    key = getattr(topic, "kms_master_key_id", None) or ""
    if not key or key.startswith("alias/aws/"):
        return []  # AWS managed key: its policy grants use through SNS
    key_arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"
    return [("kms:GenerateDataKey", key_arn), ("kms:Decrypt", key_arn)]


def sending_identity(address: str, account: str, region: str) -> str:
    """The verified identity SES sends as: the address itself when verified, else its domain."""
    from moto.ses.models import ses_backends

    backend = ses_backends[account][region]
    identity = address if address in getattr(backend, "addresses", []) else address.rpartition("@")[2]
    return f"arn:aws:ses:{region}:{account}:identity/{identity}"


def authorize(self: Any, resource: str = "*") -> None:
    # moto's own counting: the first INITIAL_NO_AUTH_ACTION_COUNT requests go unchecked.
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    if self.headers.get("X-Amz-Target") in ActionAuthenticatorMixin.PUBLIC_OPERATIONS:
        return
    operation = self._get_action()
    parsed = urlparse(self.uri)
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    for action, arn in required_permissions(self, operation, resource):
        check = IAMRequest(
            account_id=self.current_account,
            method=self.method,
            path=path,
            data=self.data,
            body=self.raw_body,
            headers=self.headers,
            action=operation,
        )
        check._action = action
        check.check_signature()
        principal = check._access_key.arn
        try:
            check.check_action_permitted(arn)
        except AccessDeniedError:
            record(principal, operation, action, arn, False)
            raise refusal(self, principal, action, arn) from None
        record(principal, operation, action, arn, True)


def refusal(response: Any, principal: str, action: str, resource: str) -> Exception:
    """AWS's refusal, in the protocol the client reads: moto answers XML even to JSON clients, which
    the SDK cannot parse (the function would see a deserialization error, not AccessDenied)."""
    detail = f"{action} on resource: {resource} because no identity-based policy allows the {action} action"
    if response.headers.get("Content-Type", "").startswith(("application/x-amz-json", "application/json")):
        denied = JsonRESTError("AccessDeniedException", f"User: {principal} is not authorized to perform: {detail}")
        denied.code = 400
        return denied
    return AccessDeniedError(user_arn=principal, action=detail)


def record(principal: str, operation: str, action: str, resource: str, allowed: bool) -> None:
    with DECISIONS_LOCK:
        DECISIONS.append({"principal": principal, "operation": operation, "action": action, "resource": resource, "allowed": allowed})


def no_invocation(self: Any, event: Any = None) -> tuple[str, bool, str]:
    # An empty, failed result: moto's stream mapping then keeps the shard's records (any non-empty
    # answer, even Docker's own error message, makes it drop them as delivered).
    return "", True, ""


def outbox(account: str, region: str) -> dict[str, Any]:
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    sms = [{"messageId": message_id, "phoneNumber": number, "message": text} for message_id, (number, text) in sns_backends[account][region].sms_messages.items()]
    sms += [{key: message[key] for key in ("messageId", "phoneNumber", "message", "originationIdentity", "configurationSetName")} for message in TEXT_MESSAGES]
    emails = [
        {"messageId": message.id, "source": message.source, "destinations": message.destinations, "subject": getattr(message, "subject", None)}
        for message in ses_backends[account][region].sent_messages
    ]
    return {"sms": sms, "emails": emails}


TEXT_MESSAGES: list[dict[str, Any]] = []


def send_text_message(environ: dict[str, Any], start_response: Any) -> Any:
    """SendTextMessage (JSON 1.0), checked against the caller's identity policies like any other call."""
    request = Request(environ)
    body = request.get_data()
    params = json.loads(body or b"{}")
    headers = dict(request.headers)
    scope = headers.get("Authorization", "").partition("Credential=")[2].partition(",")[0].split("/")
    region = scope[2] if len(scope) > 2 else "us-east-1"

    def error(status: int, code: str, message: str) -> Any:
        payload = json.dumps({"__type": code, "message": message})
        return Response(payload, status=status, content_type="application/x-amz-json-1.0", headers={"x-amzn-ErrorType": code})(environ, start_response)

    check = IAMRequest(account_id="123456789012", method="POST", path="/", data={}, body=body, headers=headers, action="SendTextMessage")
    check._action = "sms-voice:SendTextMessage"
    try:
        check.check_signature()
    except Exception as failure:  # noqa: BLE001 - any signature problem is the caller's
        return error(403, "AccessDeniedException", str(failure))
    account = check._access_key.account_id if hasattr(check._access_key, "account_id") else "123456789012"
    identity = str(params.get("OriginationIdentity") or "")
    arn = identity if identity.startswith("arn:") else f"arn:aws:sms-voice:{region}:{account}:pool/{identity or '*'}"
    principal = check._access_key.arn
    try:
        check.check_action_permitted(arn)
    except AccessDeniedError:
        record(principal, "SendTextMessage", "sms-voice:SendTextMessage", arn, False)
        return error(403, "AccessDeniedException", f"User: {principal} is not authorized to perform: sms-voice:SendTextMessage on resource: {arn}")
    record(principal, "SendTextMessage", "sms-voice:SendTextMessage", arn, True)
    number = str(params.get("DestinationPhoneNumber") or "")
    if not number.startswith("+") or not number[1:].isdigit():
        return error(400, "ValidationException", "DestinationPhoneNumber is not an E.164 number")
    message_id = str(uuid.uuid4())
    TEXT_MESSAGES.append(
        {
            "messageId": message_id,
            "phoneNumber": number,
            "message": params.get("MessageBody", ""),
            "originationIdentity": identity,
            "configurationSetName": params.get("ConfigurationSetName"),
            "context": params.get("Context", {}),
        }
    )
    return Response(json.dumps({"MessageId": message_id}), content_type="application/x-amz-json-1.0")(environ, start_response)


def with_rehearsal_routes(app: Any) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("HTTP_X_AMZ_TARGET") == "PinpointSMSVoiceV2.SendTextMessage":
            return send_text_message(environ, start_response)
        if path == "/_rehearsal/authorizations":
            with DECISIONS_LOCK:
                body = json.dumps(DECISIONS)
            return Response(body, content_type="application/json")(environ, start_response)
        if path == "/_rehearsal/outbox":
            query = Request(environ).args
            body = json.dumps(outbox(query.get("account", "123456789012"), query.get("region", "us-east-1")))
            return Response(body, content_type="application/json")(environ, start_response)
        return app(environ, start_response)

    return wrapped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = authorize  # type: ignore[method-assign]
    LambdaFunction._invoke_lambda = no_invocation  # type: ignore[method-assign]

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, with_rehearsal_routes(app), threaded=True)
    # Tethered to the rehearsal: when it goes away (even killed), stdin closes and so does moto.
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    print(json.dumps({"port": server.server_port}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
