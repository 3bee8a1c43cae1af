"""Domain errors of the core; messages are constants so tests import rather than retype them."""


class DomainError(Exception):
    """A rule of the school was broken; the message is shown to the person as it is."""

    message = "操作失败。"

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message

    def __str__(self):
        return self.message


class ActivationFailed(DomainError):
    message = "手机号或激活码不正确，请核对《致家长的一封信》上的激活码。"


class AlreadyActivated(DomainError):
    message = "该手机号已激活，请直接登录；忘记密码请联系课后服务办公室。"


class PhoneTaken(DomainError):
    message = "该手机号已被其他账号使用。"
