"""Text messages through a provider chosen by ``settings.SMS_BACKEND``.

A backend has one method, ``send(phone, text, *, title) -> str`` returning the provider's
receipt, and raises :class:`SmsError` (``temporary`` says whether trying again may help).

- ``logging`` (:class:`LoggingSmsBackend`): writes the message to the log and keeps it in
  :data:`outbox` — development and tests, like Django's locmem mail backend.
- ``aliyun`` (:class:`AliyunSmsBackend`): Alibaba Cloud SMS, the ``SendSms`` API of dysmsapi
  (RPC style, HMAC-SHA1 signature), with a template approved by the provider that takes the
  notice's title as ``${title}``. Only the standard library: one signed GET per message.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

# What the logging backend "sent": (phone, text) tuples; tests clear it.
outbox: list[tuple[str, str]] = []


class SmsError(Exception):
    def __init__(self, message: str, *, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


class LoggingSmsBackend:
    def send(self, phone: str, text: str, *, title: str = "") -> str:
        outbox.append((phone, text))
        logger.info("短信（未实际发送，SMS_BACKEND=logging）→ %s：%s", phone, text)
        return f"log-{len(outbox)}"


def _percent(value: str) -> str:
    # The encoding Alibaba Cloud's RPC signature specifies (RFC 3986, space as %20).
    return urllib.parse.quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Provider codes worth trying again later (rate limits, the provider's own faults).
ALIYUN_TEMPORARY = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling",
                    "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY", "ServiceUnavailable"}


class AliyunSmsBackend:
    def __init__(self):
        self.key_id = settings.SMS_ALIYUN_ACCESS_KEY_ID
        self.secret = settings.SMS_ALIYUN_ACCESS_KEY_SECRET
        self.sign_name = settings.SMS_ALIYUN_SIGN_NAME
        self.template = settings.SMS_ALIYUN_TEMPLATE_CODE
        self.endpoint = settings.SMS_ALIYUN_ENDPOINT
        self.timeout = settings.SMS_TIMEOUT_SECONDS
        missing = [name for name, value in [
            ("SMS_ALIYUN_ACCESS_KEY_ID", self.key_id),
            ("SMS_ALIYUN_ACCESS_KEY_SECRET", self.secret),
            ("SMS_ALIYUN_SIGN_NAME", self.sign_name),
            ("SMS_ALIYUN_TEMPLATE_CODE", self.template)] if not value]
        if missing:
            raise ImproperlyConfigured(f"SMS_BACKEND=aliyun 需要设置：{'、'.join(missing)}")

    def params(self, phone: str, title: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self.key_id, "Action": "SendSms", "Format": "JSON",
            "PhoneNumbers": phone, "RegionId": "cn-hangzhou", "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0", "TemplateCode": self.template,
            "TemplateParam": json.dumps({"title": title[:35]}, ensure_ascii=False),
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.secret)
        return params

    def send(self, phone: str, text: str, *, title: str = "") -> str:
        query = urllib.parse.urlencode(self.params(phone, title or text),
                                       quote_via=urllib.parse.quote)
        try:
            with urllib.request.urlopen(f"{self.endpoint}?{query}",  # noqa: S310 — settings
                                        timeout=self.timeout) as response:
                payload = json.loads(response.read().decode())
        except urllib.error.HTTPError as exc:
            try:
                payload = json.loads(exc.read().decode())
            except ValueError:
                raise SmsError(f"短信服务返回 HTTP {exc.code}",
                               temporary=exc.code >= 500 or exc.code == 429) from exc
        except (OSError, ValueError) as exc:  # unreachable, timed out, not JSON
            raise SmsError(f"无法连接短信服务：{exc}", temporary=True) from exc
        code = payload.get("Code", "")
        if code != "OK":
            message = payload.get("Message", "")
            raise SmsError(f"短信服务拒绝（{code}）：{message}",
                           temporary=code in ALIYUN_TEMPORARY)
        return str(payload.get("BizId", ""))


BACKENDS = {"logging": LoggingSmsBackend, "aliyun": AliyunSmsBackend}


def sms_backend():
    name = settings.SMS_BACKEND
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"SMS_BACKEND 只能是 {'、'.join(BACKENDS)}，不能是 {name!r}")
    return BACKENDS[name]()
