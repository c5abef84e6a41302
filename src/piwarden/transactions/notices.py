"""The Art. 22 notice in the notify engine: the template and the audience of the people a
transaction affects (registered in ``apps.ready``).

PIPL Art. 22 asks that the people be told the recipient's name and contact; the notice also
says what happens, that the new holder stays bound by the policy version named, and what the
person can do. Each of those is a required field, so the engine refuses to send a notice with
one left empty in either language. The texts hold no person's data.
"""

from piwarden.notify import audiences, templates

TEMPLATE = "transactions.art22"
AUDIENCE = "transactions.affected"
REQUIRED = ("holder", "contact", "event", "policy_version")

_BODY_ZH = """尊敬的用户：

依据《中华人民共和国个人信息保护法》第二十二条，现告知您：

一、发生的事项：{{ event }}
二、您的个人信息将转移至新的个人信息处理者：{{ holder }}
三、新处理者的联系方式：{{ contact }}
四、新处理者将继续受我们的隐私政策（版本 {{ policy_version }}）约束；\
如其变更原先的处理目的或处理方式，将重新取得您的同意。
五、您的权利：您可以查阅、复制、更正、删除您的个人信息，撤回同意，或注销账户；\
对转移有疑问的，可以在转移前联系我们或新处理者。

查看您的消息：{{ person.messages_url }}"""

_BODY_EN = """Dear user,

As Article 22 of the Personal Information Protection Law of the PRC requires, we inform you:

1. What happens: {{ event }}
2. Your personal information will pass to a new handler: {{ holder }}
3. How to contact the new handler: {{ contact }}
4. The new handler stays bound by our privacy policy (version {{ policy_version }}); if it
   changes the purpose or method of processing, it will ask for your consent again.
5. Your rights: you may access, copy, correct or delete your personal information, withdraw
   your consent or close your account; ask us or the new handler about the transfer before
   it happens.

Your messages: {{ person.messages_url }}"""

ART22 = templates.Template(
    TEMPLATE, required=REQUIRED,
    subject={"en": "Your personal information will pass to {{ holder }}",
             "zh-hans": "关于您的个人信息转移至{{ holder }}的告知"},
    body={"en": _BODY_EN, "zh-hans": _BODY_ZH},
    sms={"en": "Notice: {{ event }} Your personal information will pass to {{ holder }} "
               "(contact: {{ contact }}), bound by our policy {{ policy_version }}.",
         "zh-hans": "【个人信息转移告知】{{ event }}您的个人信息将转移至{{ holder }}"
                    "（联系方式：{{ contact }}），其继续受隐私政策{{ policy_version }}约束。"})


def affected(params: dict):
    """The people a transaction affects: every active account, or the listed subject ids."""
    from piwarden.transactions.models import Audience, CorporateTransaction

    try:
        transaction = CorporateTransaction.objects.get(pk=int(params.get("transaction")))
    except (TypeError, ValueError, CorporateTransaction.DoesNotExist):
        raise audiences.AudienceError("AUDIENCE_PARAMS_INVALID",
                                      "transactions.affected needs an existing transaction."
                                      ) from None
    if transaction.audience == Audience.ALL_ACCOUNTS:
        return audiences.resolve("accounts.all", {})
    return audiences.resolve("subjects.listed", {"subject_ids": transaction.subject_ids})


def register() -> None:
    templates.register(ART22)
    audiences.register(AUDIENCE, affected)
