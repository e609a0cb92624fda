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
4. AWS End User Messaging SMS (pinpoint-sms-voice-v2), which moto does not have at all, and SES v2
   configuration set event destinations, which its sesv2 lacks: the calls the stack's resources
   and its sends need, in memory, with AWS's protocol and field names, each authorised as AWS
   authorises it (SendTextMessage as sms-voice:SendTextMessage on the pool it names). A send
   with a configuration set publishes its receipts, as the service would, to the set's SNS event
   destinations through moto's SNS (GET /_rehearsal/receipts: what was published, what is pending).

Prints {"port": N} on its first line once it listens (port 0 picks a free one).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
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
    if service == "scheduler" and operation in ("CreateSchedule", "UpdateSchedule", "GetSchedule", "DeleteSchedule"):
        name = unquote(response.path.rstrip("/").rsplit("/", 1)[-1])
        group = params.get("GroupName") or params.get("groupName") or "default"
        checks = [(f"scheduler:{operation}", f"arn:aws:scheduler:{region}:{account}:schedule/{group}/{name}")]
        role = (params.get("Target") or {}).get("RoleArn")
        if role and operation in ("CreateSchedule", "UpdateSchedule"):
            checks.append(("iam:PassRole", role))  # a schedule's target role is passed to Scheduler
        return checks
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


# --- AWS End User Messaging SMS (pinpoint-sms-voice-v2) and SES v2 event destinations -------------
# Written by hand: moto 5.2 has no pinpoint-sms-voice-v2 backend at all, and its sesv2 has
# configuration sets but answers 404 to their event destinations. Only what the stack's resources
# and its sends need, with AWS's wire protocol, field names, ARNs and errors
# (botocore/data/pinpoint-sms-voice-v2 and sesv2 service models), each call authorised as AWS
# authorises it. Sends publish their receipts to the SNS destinations, as the services do.

SMS = "sms-voice"
STATE_LOCK = threading.Lock()
SMS_STATE: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
SES_DESTINATIONS: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
# How long after a send its receipts are published; AWS takes seconds.
RECEIPT_DELAY_SECONDS = 1.0
RECEIPTS: dict[str, Any] = {"pending": 0, "published": [], "failed": []}
RECEIPTS_LOCK = threading.Lock()
RECEIPT_BUILDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "receipts.ts")


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.extra = status, code, extra


def sms_state(account: str, region: str) -> dict[str, dict[str, Any]]:
    return SMS_STATE.setdefault((account, region), {"opt-out-list": {}, "phone-number": {}, "pool": {}, "configuration-set": {}})


def signed_scope(headers: Any) -> list[str]:
    return headers.get("Authorization", "").partition("Credential=")[2].partition(",")[0].split("/")


def check_iam(request: Request, body: bytes, operation: str, checks: list[tuple[str, str]]) -> None:
    """As authorize() does for moto's own services: unchecked while moto counts unchecked requests."""
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    headers = dict(request.headers)
    for action, arn in checks:
        check = IAMRequest(account_id=ACCOUNT, method=request.method, path=request.full_path.rstrip("?"), data={}, body=body, headers=headers, action=operation)
        check._action = action
        try:
            check.check_signature()
        except Exception as failure:  # noqa: BLE001 - any signature problem is the caller's
            raise ServiceError(403, "AccessDeniedException", str(failure)) from None
        principal = check._access_key.arn
        try:
            check.check_action_permitted(arn)
        except AccessDeniedError:
            record(principal, operation, action, arn, False)
            raise ServiceError(403, "AccessDeniedException", f"User: {principal} is not authorized to perform: {action} on resource: {arn}") from None
        record(principal, operation, action, arn, True)


ACCOUNT = "123456789012"  # moto's default account, the only one the rehearsal uses


def sms_voice(environ: dict[str, Any], start_response: Any) -> Any:
    """pinpoint-sms-voice-v2: JSON 1.0, X-Amz-Target PinpointSMSVoiceV2.<Operation>."""
    request = Request(environ)
    body = request.get_data()
    operation = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
    scope = signed_scope(request.headers)
    region = scope[2] if len(scope) > 2 else "us-east-1"
    try:
        params = json.loads(body or b"{}")
        handler = SMS_OPERATIONS.get(operation)
        if handler is None:
            raise ServiceError(400, "UnknownOperationException", f"the rehearsal's End User Messaging does not implement {operation}")
        with STATE_LOCK:
            answer = handler(SmsVoice(request, body, operation, region), params)
        payload, status = json.dumps(answer), 200
        return Response(payload, status=status, content_type="application/x-amz-json-1.0")(environ, start_response)
    except ServiceError as failure:
        payload = json.dumps({"__type": failure.code, "Message": str(failure), "message": str(failure), **failure.extra})
        return Response(payload, status=failure.status, content_type="application/x-amz-json-1.0", headers={"x-amzn-ErrorType": failure.code})(
            environ, start_response
        )


class SmsVoice:
    """One call's context: who, where, and the region's End User Messaging resources."""

    def __init__(self, request: Request, body: bytes, operation: str, region: str) -> None:
        self.request, self.body, self.operation, self.region = request, body, operation, region
        self.state = sms_state(ACCOUNT, region)

    def arn(self, kind: str, resource_id: str) -> str:
        return f"arn:aws:{SMS}:{self.region}:{ACCOUNT}:{kind}/{resource_id}"

    def authorize(self, *arns: str) -> None:
        check_iam(self.request, self.body, self.operation, [(f"{SMS}:{self.operation}", arn) for arn in arns or ("*",)])

    def find(self, kind: str, reference: str) -> dict[str, Any]:
        """A resource by its id, name or ARN (phone numbers also by the number itself)."""
        resources = self.state[kind]
        key = reference.rpartition("/")[2] if reference.startswith("arn:") else reference
        found = resources.get(key) or next((item for item in resources.values() if item.get("PhoneNumber") == reference), None)
        if found is None or (reference.startswith("arn:") and found[ARN_FIELD[kind]] != reference):
            raise ServiceError(400, "ResourceNotFoundException", f"{kind} {reference} does not exist", ResourceType=kind, ResourceId=reference)
        return found

    def identity(self, reference: str) -> tuple[str, dict[str, Any]]:
        """An origination identity: a pool or a phone number, by id or ARN."""
        kind = "pool" if reference.startswith("pool-") or ":pool/" in reference else "phone-number"
        return kind, self.find(kind, reference)


ARN_FIELD = {"opt-out-list": "OptOutListArn", "phone-number": "PhoneNumberArn", "pool": "PoolArn", "configuration-set": "ConfigurationSetArn"}


def public(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if not key.startswith("_")}


def required(params: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if params.get(name) in (None, "", [])]
    if missing:
        raise ServiceError(400, "ValidationException", f"{', '.join(missing)} is required", Reason="FIELD_VALIDATION_FAILED", Fields=[{"Name": name, "Message": "required"} for name in missing])


def create_opt_out_list(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "OptOutListName")
    name = params["OptOutListName"]
    call.authorize(call.arn("opt-out-list", name))
    if name in call.state["opt-out-list"]:
        raise ServiceError(400, "ConflictException", f"opt-out list {name} exists", Reason="RESOURCE_ALREADY_EXISTS", ResourceType="opt-out-list", ResourceId=name)
    item = {"OptOutListArn": call.arn("opt-out-list", name), "OptOutListName": name, "CreatedTimestamp": time.time(), "_numbers": set()}
    call.state["opt-out-list"][name] = item
    return {**public(item), "Tags": params.get("Tags", [])}


def request_phone_number(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "IsoCountryCode", "MessageType", "NumberCapabilities", "NumberType")
    opt_out = params.get("OptOutListName") or "Default"
    call.authorize(*([call.arn("opt-out-list", opt_out)] if params.get("OptOutListName") else []))
    if params.get("OptOutListName"):
        call.find("opt-out-list", opt_out)
    phone_id = f"phone-{uuid.uuid4().hex}"
    # The simulator numbers of the destination simulator's country: a US simulator number.
    number = "+1" + "".join(str(uuid.uuid4().int)[:10])
    item = {
        "PhoneNumberArn": call.arn("phone-number", phone_id),
        "PhoneNumberId": phone_id,
        "PhoneNumber": number,
        "Status": "ACTIVE",
        "IsoCountryCode": params["IsoCountryCode"],
        "MessageType": params["MessageType"],
        "NumberCapabilities": params["NumberCapabilities"],
        "NumberType": params["NumberType"],
        "MonthlyLeasingPrice": "0.00",
        "TwoWayEnabled": False,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": opt_out,
        "InternationalSendingEnabled": bool(params.get("InternationalSendingEnabled", False)),
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
        "CreatedTimestamp": time.time(),
        "_keywords": {},
    }
    call.state["phone-number"][phone_id] = item
    return {**public(item), "Tags": params.get("Tags", [])}


def create_pool(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "OriginationIdentity", "MessageType")
    kind, identity = call.identity(params["OriginationIdentity"])
    call.authorize(identity[ARN_FIELD[kind]])
    if kind != "phone-number":
        raise ServiceError(400, "ValidationException", "a pool's origination identity is a phone number or sender id", Reason="INVALID_ARN")
    if identity.get("PoolId"):
        raise ServiceError(400, "ConflictException", "the phone number is already in a pool", Reason="PHONE_NUMBER_ASSOCIATED_TO_POOL", ResourceType="phone-number", ResourceId=identity["PhoneNumberId"])
    pool_id = f"pool-{uuid.uuid4().hex}"
    item = {
        "PoolArn": call.arn("pool", pool_id),
        "PoolId": pool_id,
        "Status": "ACTIVE",
        "MessageType": params["MessageType"],
        "TwoWayEnabled": False,
        "SelfManagedOptOutsEnabled": False,
        "OptOutListName": identity["OptOutListName"],
        "SharedRoutesEnabled": False,
        "DeletionProtectionEnabled": bool(params.get("DeletionProtectionEnabled", False)),
        "CreatedTimestamp": time.time(),
        "_identities": [identity["PhoneNumberArn"]],
        "_keywords": {},
    }
    identity["PoolId"] = pool_id
    call.state["pool"][pool_id] = item
    return {**public(item), "Tags": params.get("Tags", [])}


def associate_origination_identity(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "PoolId", "OriginationIdentity")
    pool = call.find("pool", params["PoolId"])
    kind, identity = call.identity(params["OriginationIdentity"])
    call.authorize(pool["PoolArn"], identity[ARN_FIELD[kind]])
    if identity.get("PoolId"):
        raise ServiceError(400, "ConflictException", "the phone number is already in a pool", Reason="PHONE_NUMBER_ASSOCIATED_TO_POOL", ResourceType="phone-number", ResourceId=identity["PhoneNumberId"])
    identity["PoolId"] = pool["PoolId"]
    pool["_identities"].append(identity["PhoneNumberArn"])
    return {"PoolArn": pool["PoolArn"], "PoolId": pool["PoolId"], "OriginationIdentityArn": identity["PhoneNumberArn"], "OriginationIdentity": identity["PhoneNumber"], "IsoCountryCode": identity["IsoCountryCode"]}


def update_pool(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "PoolId")
    pool = call.find("pool", params["PoolId"])
    checks = [pool["PoolArn"]] + ([call.arn("opt-out-list", params["OptOutListName"])] if params.get("OptOutListName") else [])
    call.authorize(*checks)
    if params.get("OptOutListName"):
        pool["OptOutListName"] = call.find("opt-out-list", params["OptOutListName"])["OptOutListName"]
    for name in ("SelfManagedOptOutsEnabled", "SharedRoutesEnabled", "DeletionProtectionEnabled", "TwoWayEnabled"):
        if name in params:
            pool[name] = bool(params[name])
    return public(pool)


def put_keyword(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "OriginationIdentity", "Keyword", "KeywordMessage")
    kind, identity = call.identity(params["OriginationIdentity"])
    call.authorize(identity[ARN_FIELD[kind]])
    action = params.get("KeywordAction", "AUTOMATIC_RESPONSE")
    identity["_keywords"][params["Keyword"].upper()] = {"KeywordMessage": params["KeywordMessage"], "KeywordAction": action}
    return {"OriginationIdentityArn": identity[ARN_FIELD[kind]], "OriginationIdentity": identity.get("PoolId") or identity["PhoneNumberId"], "Keyword": params["Keyword"], "KeywordMessage": params["KeywordMessage"], "KeywordAction": action}


def create_configuration_set(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "ConfigurationSetName")
    name = params["ConfigurationSetName"]
    call.authorize(call.arn("configuration-set", name))
    if name in call.state["configuration-set"]:
        raise ServiceError(400, "ConflictException", f"configuration set {name} exists", Reason="RESOURCE_ALREADY_EXISTS", ResourceType="configuration-set", ResourceId=name)
    item = {"ConfigurationSetArn": call.arn("configuration-set", name), "ConfigurationSetName": name, "EventDestinations": [], "CreatedTimestamp": time.time()}
    call.state["configuration-set"][name] = item
    return {"ConfigurationSetArn": item["ConfigurationSetArn"], "ConfigurationSetName": name, "Tags": params.get("Tags", []), "CreatedTimestamp": item["CreatedTimestamp"]}


def create_event_destination(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    required(params, "ConfigurationSetName", "EventDestinationName", "MatchingEventTypes")
    configuration_set = call.find("configuration-set", params["ConfigurationSetName"])
    call.authorize(configuration_set["ConfigurationSetArn"])
    if any(destination["EventDestinationName"] == params["EventDestinationName"] for destination in configuration_set["EventDestinations"]):
        raise ServiceError(400, "ConflictException", "event destination exists", Reason="RESOURCE_ALREADY_EXISTS", ResourceType="event-destination", ResourceId=params["EventDestinationName"])
    destination = {"EventDestinationName": params["EventDestinationName"], "Enabled": True, "MatchingEventTypes": params["MatchingEventTypes"]}
    for kind in ("CloudWatchLogsDestination", "KinesisFirehoseDestination", "SnsDestination"):
        if params.get(kind):
            destination[kind] = params[kind]
    configuration_set["EventDestinations"].append(destination)
    return {"ConfigurationSetArn": configuration_set["ConfigurationSetArn"], "ConfigurationSetName": configuration_set["ConfigurationSetName"], "EventDestination": destination}


def describer(kind: str, ids: str, listed: str) -> Any:
    def describe(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
        wanted = [call.find(kind, reference) for reference in params.get(ids, [])] or list(call.state[kind].values())
        call.authorize(*([item[ARN_FIELD[kind]] for item in wanted] if params.get(ids) else []))
        return {listed: [public(item) for item in wanted]}

    return describe


def send_text_message(call: SmsVoice, params: dict[str, Any]) -> dict[str, Any]:
    """Authorised on the origination identity the request names (a pool here), as AWS authorises it."""
    identity = str(params.get("OriginationIdentity") or "")
    call.authorize(identity if identity.startswith("arn:") else call.arn("pool", identity or "*"))
    number = str(params.get("DestinationPhoneNumber") or "")
    if not number.startswith("+") or not number[1:].isdigit():
        raise ServiceError(400, "ValidationException", "DestinationPhoneNumber is not an E.164 number", Reason="INVALID_PARAMETER")
    origin = call.identity(identity)[1] if identity else None
    configuration_set = call.find("configuration-set", params["ConfigurationSetName"]) if params.get("ConfigurationSetName") else None
    opt_out = call.state["opt-out-list"].get(origin["OptOutListName"]) if origin else None
    if opt_out and number in opt_out["_numbers"]:
        raise ServiceError(400, "ConflictException", "The destination phone number is opted out.", Reason="DESTINATION_PHONE_NUMBER_OPTED_OUT", ResourceType="opt-out-list", ResourceId=opt_out["OptOutListName"])
    message_id = str(uuid.uuid4())
    message = {
        "messageId": message_id,
        "phoneNumber": number,
        "message": params.get("MessageBody", ""),
        "originationIdentity": identity,
        "configurationSetName": params.get("ConfigurationSetName"),
        "messageType": params.get("MessageType", "TRANSACTIONAL"),
        "context": params.get("Context", {}),
    }
    TEXT_MESSAGES.append(message)
    if configuration_set:
        publish_receipts({"provider": "sms", "message": {key: value for key, value in message.items() if value is not None}}, sns_destinations(configuration_set["EventDestinations"], "EventDestinationName"), call.region)
    return {"MessageId": message_id}


SMS_OPERATIONS = {
    "CreateOptOutList": create_opt_out_list,
    "RequestPhoneNumber": request_phone_number,
    "CreatePool": create_pool,
    "AssociateOriginationIdentity": associate_origination_identity,
    "UpdatePool": update_pool,
    "PutKeyword": put_keyword,
    "CreateConfigurationSet": create_configuration_set,
    "CreateEventDestination": create_event_destination,
    "DescribeOptOutLists": describer("opt-out-list", "OptOutListNames", "OptOutLists"),
    "DescribePhoneNumbers": describer("phone-number", "PhoneNumberIds", "PhoneNumbers"),
    "DescribePools": describer("pool", "PoolIds", "Pools"),
    "DescribeConfigurationSets": describer("configuration-set", "ConfigurationSetNames", "ConfigurationSets"),
    "SendTextMessage": send_text_message,
}


def sns_destinations(destinations: list[dict[str, Any]], name_field: str) -> list[dict[str, Any]]:
    """Enabled SNS destinations as emulator/services/provider-events.ts takes them."""
    return [
        {"topicArn": destination["SnsDestination"]["TopicArn"], "matchingEventTypes": destination["MatchingEventTypes"], "enabled": destination.get("Enabled", False), "name": destination.get(name_field)}
        for destination in destinations
        if destination.get("SnsDestination") and destination.get("Enabled", False)
    ]


def ses_event_destinations(environ: dict[str, Any], start_response: Any, configuration_set: str) -> Any:
    """SES v2 CreateConfigurationSetEventDestination (POST) and GetConfigurationSetEventDestinations (GET), REST-JSON."""
    from moto.sesv2.models import sesv2_backends

    request = Request(environ)
    body = request.get_data()
    scope = signed_scope(request.headers)
    region = scope[2] if len(scope) > 2 else "us-east-1"
    operation = "CreateConfigurationSetEventDestination" if request.method == "POST" else "GetConfigurationSetEventDestinations"
    arn = f"arn:aws:ses:{region}:{ACCOUNT}:configuration-set/{configuration_set}"
    try:
        check_iam(request, body, operation, [(f"ses:{operation}", arn)])
        try:
            sesv2_backends[ACCOUNT][region].get_configuration_set(configuration_set)
        except Exception:  # noqa: BLE001 - moto's NotFound, in SES v2's own shape
            raise ServiceError(404, "NotFoundException", f"Configuration set <{configuration_set}> does not exist.") from None
        with STATE_LOCK:
            destinations = SES_DESTINATIONS.setdefault((ACCOUNT, region, configuration_set), [])
            if request.method == "GET":
                return Response(json.dumps({"EventDestinations": destinations}), content_type="application/json")(environ, start_response)
            params = json.loads(body or b"{}")
            name, definition = params.get("EventDestinationName"), params.get("EventDestination") or {}
            if not name or not definition.get("MatchingEventTypes"):
                raise ServiceError(400, "BadRequestException", "EventDestinationName and EventDestination.MatchingEventTypes are required")
            if any(destination["Name"] == name for destination in destinations):
                raise ServiceError(400, "AlreadyExistsException", f"Event destination {name} already exists.")
            destinations.append({"Name": name, "Enabled": bool(definition.get("Enabled", False)), **{key: value for key, value in definition.items() if key != "Enabled"}})
        return Response("{}", content_type="application/json")(environ, start_response)
    except ServiceError as failure:
        return Response(json.dumps({"message": str(failure)}), status=failure.status, content_type="application/json", headers={"x-amzn-ErrorType": failure.code})(environ, start_response)


def send_email_with_receipts(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
    """moto's SES v2 SendEmail, then the message's receipts to its configuration set's SNS destinations."""
    request = Request(environ)
    body = request.get_data()  # cached: moto reads the same body from the stream werkzeug kept
    environ["wsgi.input"] = io.BytesIO(body)
    captured: dict[str, Any] = {}

    def capture(status: str, headers: Any, *rest: Any) -> Any:
        captured["status"] = status
        return start_response(status, headers, *rest)

    chunks = list(app(environ, capture))
    if captured.get("status", "").startswith("200"):
        params = json.loads(body or b"{}")
        scope = signed_scope(request.headers)
        region = scope[2] if len(scope) > 2 else "us-east-1"
        name = params.get("ConfigurationSetName")
        with STATE_LOCK:
            destinations = sns_destinations(SES_DESTINATIONS.get((ACCOUNT, region, name or ""), []), "Name")
        simple = (params.get("Content") or {}).get("Simple") or {}
        if destinations and simple:
            email = {
                "from": params.get("FromEmailAddress", ""),
                "to": (params.get("Destination") or {}).get("ToAddresses", []),
                "subject": (simple.get("Subject") or {}).get("Data", ""),
                "configurationSetName": name,
                "tags": {tag["Name"]: tag["Value"] for tag in params.get("EmailTags", [])},
                "headers": {header["Name"]: header["Value"] for header in simple.get("Headers", [])},
                "messageId": json.loads(b"".join(chunks) or b"{}").get("MessageId", ""),
            }
            publish_receipts({"provider": "ses", "email": email}, destinations, region)
    return chunks


def publish_receipts(send: dict[str, Any], destinations: list[dict[str, Any]], region: str) -> None:
    """After RECEIPT_DELAY_SECONDS, as the service itself (moto does not enforce the topic policy that
    admits ses.amazonaws.com and sms-voice.amazonaws.com), through moto's SNS. The events themselves
    are built by rehearsal/receipts.ts, the local emulator's builders."""
    if not destinations:
        return
    with RECEIPTS_LOCK:
        RECEIPTS["pending"] += 1
    sent_at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())

    def later() -> None:
        from moto.sns.models import sns_backends

        try:
            time.sleep(RECEIPT_DELAY_SECONDS)
            node = os.environ.get("REHEARSAL_NODE", "node")
            built = subprocess.run([node, RECEIPT_BUILDER], input=json.dumps({**send, "sentAt": sent_at, "destinations": destinations}), capture_output=True, text=True, check=True, timeout=60)
            for receipt in json.loads(built.stdout):
                sns_backends[ACCOUNT][region].publish(receipt["message"], arn=receipt["topicArn"])
                with RECEIPTS_LOCK:
                    RECEIPTS["published"].append({"provider": send["provider"], "topicArn": receipt["topicArn"], "event": receipt["type"], "message": json.loads(receipt["message"])})
        except Exception as failure:  # noqa: BLE001 - reported to the rehearsal, which fails on it
            detail = getattr(failure, "stderr", "") or str(failure)
            with RECEIPTS_LOCK:
                RECEIPTS["failed"].append({"provider": send["provider"], "error": str(detail)[-2000:]})
        finally:
            with RECEIPTS_LOCK:
                RECEIPTS["pending"] -= 1

    threading.Thread(target=later, daemon=True).start()


def with_rehearsal_routes(app: Any) -> Any:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("PinpointSMSVoiceV2."):
            return sms_voice(environ, start_response)
        destinations = re.fullmatch(r"/v2/email/configuration-sets/([^/]+)/event-destinations", path)
        if destinations and environ.get("REQUEST_METHOD") in ("GET", "POST"):
            return ses_event_destinations(environ, start_response, unquote(destinations.group(1)))
        if path == "/v2/email/outbound-emails" and environ.get("REQUEST_METHOD") == "POST":
            return send_email_with_receipts(app, environ, start_response)
        if path == "/_rehearsal/authorizations":
            with DECISIONS_LOCK:
                body = json.dumps(DECISIONS)
            return Response(body, content_type="application/json")(environ, start_response)
        if path == "/_rehearsal/outbox":
            query = Request(environ).args
            body = json.dumps(outbox(query.get("account", "123456789012"), query.get("region", "us-east-1")))
            return Response(body, content_type="application/json")(environ, start_response)
        if path == "/_rehearsal/receipts":
            with RECEIPTS_LOCK:
                body = json.dumps(RECEIPTS)
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
