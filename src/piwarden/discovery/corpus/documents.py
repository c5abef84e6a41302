"""Document templates (notes, logs, invoices, spreadsheets, code) and their assembly.

A template is a list of plain strings, ``P`` (a labelled value) and ``D`` (a near miss);
``_assemble`` joins them and records the spans, so an offset can never drift from its text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from piwarden.discovery.corpus.rules import luhn_complete, stray
from piwarden.discovery.corpus.values import (
    VALUES,
    D,
    P,
    bad_card,
    bad_id,
    bad_mobile,
    bad_ssn,
    bad_uscc,
    bank_account,
    digits,
    email,
    hexs,
    id_digits,
    ipv4,
    ipv6,
    mac,
    mobile,
    mobile_digits,
    order_no,
    resident_id,
    uscc,
    uuid,
)


@dataclass(frozen=True)
class Doc:
    """One document, the spans of the PI in it and of the near misses planted beside it."""

    text: str
    labels: list[tuple[str, int, int]]
    lang: str  # "zh", "en" or "mixed"
    decoys: list[tuple[str, int, int]] = field(default_factory=list)


# -------------------------------------------------- sentences with a near miss


def _decoy(rng: random.Random, lang: str) -> list:
    """One sentence (zh or en) that holds a near miss."""
    order, ts = order_no(rng), str(rng.randint(1_600_000_000_000, 1_760_000_000_000))
    embedded = digits(rng, rng.randint(2, 5)) + mobile_digits(rng) + digits(rng, 3)
    zh = [
        ["身份证号", bad_id(rng), "校验不通过，请客户重新提供。"],
        ["证件号码：", bad_id(rng), "（系统提示无效）"],
        ["客户留的号码", bad_mobile(rng), "打不通，疑似少写或多写一位。"],
        ["备用号码：", bad_mobile(rng), "，已标记为无效。"],
        ["编号 ", bad_card(rng), " 校验失败，不是有效卡号。"],
        ["信用代码", bad_uscc(rng), "核验未通过，请对方重新提供营业执照。"],
        ["订单号", D("order_no", order), "已发货，预计3天送达。"],
        ["订单编号：", D("order_no", order), f"，金额 ¥{rng.randint(1, 99)},{digits(rng, 3)}."
         f"{digits(rng, 2)}。"],
        ["流水号", D("embedded_mobile", embedded), "，请财务核对。"],
        ["批次号", D("embedded_id", order_no(rng)[:8] + id_digits(rng) + digits(rng, 3)),
         "已归档。"],
        ["设备IMEI：", D("imei", luhn_complete("86" + digits(rng, 12))), "，已绑定。"],
        ["时间戳 ", D("timestamp_ms", ts), "，接口超时。"],
        ["顺丰单号 SF", D("tracking", digits(rng, 12)), "，已签收。"],
        ["EMS单号 ", D("tracking", "E" + rng.choice("ABCDE") + digits(rng, 9) + "CN"),
         "，请留意查收。"],
        ["客户端版本 v", D("version", f"{rng.randint(1, 9)}.{rng.randint(0, 20)}."
                                    f"{rng.randint(0, 9)}.{rng.randint(0, 99)}"), "，需升级。"],
        ["请求 ID ", D("uuid", uuid(rng)), " 已记录。"],
        ["文件校验值 ", D("hex_hash", hexs(rng, rng.choice([32, 40, 64]))), "。"],
    ]
    en = [
        ["SSN on file ", bad_ssn(rng), " was rejected as invalid."],
        ["Ticket ref ", D("order_no", order), " closed by tier 2."],
        ["ping ", D("bad_ipv4", f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.1.1"),
         " failed: invalid address."],
        ["App version ", D("version", f"{rng.randint(1, 20)}.{rng.randint(0, 9)}."
                                      f"{rng.randint(0, 9)}.{rng.randint(0, 250)}"),
         " deployed to staging."],
        ["OS: Windows ", D("version", f"10.0.{rng.randint(17000, 22631)}"), ", 16 GB RAM."],
        ["Received at ", D("timestamp_ms", ts), " ms since epoch."],
        ["Invalid number ", D("us_phone_invalid", f"({rng.randint(100, 199)}) "
                              f"{rng.randint(200, 999)}-{digits(rng, 4)}"), " bounced."],
        ["Card ", bad_card(rng), " was declined (checksum)."],
        ["Commit ", D("hex_hash", hexs(rng, 40)), " fixes the race in std::vector<Peer>."],
        ["Device MAC ", D("mac", mac(rng)), " joined the guest Wi-Fi."],
        ["Passport field ", D("passport_short", "E" + digits(rng, 7)), " is too short."],
        ["Request id ", D("uuid", uuid(rng)), " took 231 ms."],
        ["Handset IMEI ", D("imei", luhn_complete("86" + digits(rng, 12))), " registered."],
    ]
    return rng.choice(zh if lang == "zh" else en if lang == "en" else zh + en)


# ------------------------------------------------------------------- sentences

_ZH_LEADS = {
    "cn_mobile": ["手机", "手机号", "联系电话", "请回电", "电话", "客户手机", "回拨号码",
                  "微信同号"],
    "cn_resident_id": ["身份证", "身份证号", "身份证号码", "证件号", "居民身份证"],
    "bank_card": ["银行卡号", "卡号", "储蓄卡", "信用卡号", "退款银行卡"],
    "bank_account": ["银行账号", "账号", "开户账号", "收款账号"],
    "cn_uscc": ["统一社会信用代码", "信用代码", "社会信用代码"],
    "cn_passport": ["护照号", "护照号码", "护照", "持护照"],
    "email": ["邮箱", "电子邮箱", "邮件地址"],
    "ipv4": ["登录地址", "来源地址", "客户端地址", "登录IP"],
    "ipv6": ["登录地址", "来源地址", "IPv6地址"],
    "us_ssn": ["美国社保号 SSN"],
    "us_phone": ["美国电话"],
    "uk_phone": ["英国电话"],
}
_ZH_GLUED_TAILS = ["联系", "已上传", "已核验", "已登记", "的客户", "，下午方便", "请核实", "已确认"]
_ZH_TAILS = ["，", "。", "；", " 。", "，谢谢。", "，请尽快处理。"]
_EN = {
    "cn_mobile": ["Mobile: {}", "Call back on {} after 3pm.", "China mobile {}, WeChat same."],
    "cn_resident_id": ["PRC ID card no. {} verified.", "Resident ID: {}"],
    "bank_card": ["Card number {} was charged.", "Refund to card {} please.", "Card: {}"],
    "bank_account": ["Bank account: {}", "Account No. {} at ICBC.", "bank account {} (CNY)"],
    "cn_uscc": ["Supplier USCC {} checked.", "Unified social credit code: {}"],
    "cn_passport": ["Passport No. {} expires 2031.", "passport {}", "Travel doc {} scanned."],
    "email": ["Email: {}", "Reply to {}.", "Contact {} for the invoice.", "<{}>",
              '<a href="mailto:{}?subject=refund">write to us</a>'],
    "ipv4": ["Login from {} flagged.", "client_ip={}", "Source IP {} blocked."],
    "ipv6": ["Login from {} flagged.", "client_ip={}", "Source address {}."],
    "us_ssn": ["SSN: {}", "My social security number is {}.", "SSN {} on the W-2."],
    "us_phone": ["Please call me back at {}.", "Phone: {}", "Cell {} (after 5pm)."],
    "uk_phone": ["UK office: {}", "Ring me on {}.", "Mobile {}, London."],
}
def _filler(rng: random.Random, lang: str) -> list[str]:
    """Sentences with dates, times, amounts and invoice numbers but no PI."""
    y, m, d = rng.randint(2019, 2025), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    money = f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}.{rng.randint(0, 99):02d}"
    zh = [f"已于{y}年{m}月{d}日 {hh}:{mm:02d} 电话沟通。", f"金额 ¥{money}，已开具增值税发票。",
          f"下次跟进时间：{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}。", "客户反映物流太慢。",
          f"发票代码 {digits(rng, 12)}，发票号码 {digits(rng, 8)}。", "备注：老客户，优先处理。",
          f"本次咨询关于会员续费，价格 ¥{rng.randint(9, 999)}/年。", "退款已原路返回，请留意到账。",
          f"快递预计{m}月{d}日送达，运费 ¥{rng.randint(5, 30)}.00。", "工单状态：处理中。",
          f"座机 0{rng.choice(['10', '21', '755', '571'])}-{rng.randint(2, 8)}{digits(rng, 7)}。",
          "客户表示对产品满意，愿意续约。", "已发送电子合同，等待客户签署。"]
    en = [f"Escalated on {y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d} UTC.",
          f"Total: ${money} incl. tax.", "Customer asked about the refund status.",
          f"Meeting moved to {hh % 12 + 1}:{mm:02d} PM on {m:02d}/{d:02d}/{y}.",
          f"Invoice #INV-{y}-{rng.randint(1, 9999):04d} attached.", "No further action needed.",
          f"Upgraded to v{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)} last week.",
          f"Shipped via UPS, {rng.randint(1, 5)}-day delivery.", "See https://help.example.com/"
          f"kb/{rng.randint(1, 999)}?lang=en.", "The client prefers contact by email."]
    pool = zh if lang == "zh" else en if lang == "en" else zh + en
    return rng.sample(pool, 8)


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _zh_sentence(rng: random.Random, kind: str) -> list:
    lead = rng.choice(_ZH_LEADS[kind])
    value = P(kind, VALUES[kind](rng))
    glue_ok = _cjk(lead[-1]) and kind not in ("us_ssn", "us_phone", "uk_phone")
    if glue_ok and rng.random() < 0.38:
        return [lead, value, rng.choice(_ZH_GLUED_TAILS)]
    seps = ["：", "：", ": ", " "] + (["为"] if lead[-1] in "号码址箱话" else [])
    return [lead, rng.choice(seps), value, rng.choice(_ZH_TAILS)]


def _en_sentence(rng: random.Random, kind: str) -> list:
    before, after = rng.choice(_EN[kind]).split("{}")
    return [before, P(kind, VALUES[kind](rng)), after]


def _url(rng: random.Random) -> list:
    host = rng.choice(["m.example.cn", "shop.example.com", "h5.example.com.cn"])
    kind = rng.choice(["cn_mobile", "email", None])
    parts = [f"https://{host}/track?order=", D("order_no", order_no(rng))]
    if kind:
        value = mobile_digits(rng) if kind == "cn_mobile" else email(rng)
        parts += [f"&{'mobile' if kind == 'cn_mobile' else 'email'}=", P(kind, value)]
    return [*parts, f"&utm_source={rng.choice(['sms', 'wechat', 'edm'])} "]


# --------------------------------------------------------------------------- logs

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _ua(rng: random.Random) -> list:
    major = str(rng.randint(100, 125))
    return rng.choice([
        ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/", D("version", f"{major}.0.0.0"), " Safari/537.36"],
        ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/", D("version", f"{major}.0.0.0"), " Safari/537.36 Edg/",
         D("version", f"{major}.0.0.0")],
        ["Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
         "Gecko) Chrome/", D("version", f"{major}.0.0.0"), " Safari/537.36"],
        [f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
         f"(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.{rng.randint(40, 49)}.2560"
         "(0x28002F30) NetType/WIFI Language/zh_CN"],
        [f"Mozilla/5.0 (Linux; Android 14; SM-S9180) AppleWebKit/537.36 (KHTML, like Gecko) "
         f"Chrome/{major}.0.6367.{rng.randint(100, 250)} Mobile Safari/537.36"],
        ["curl/8.5.0"], ["python-requests/2.31.0"], ["kube-probe/1.29"],
    ])


def _log_line(rng: random.Random, labelled: bool) -> list:
    when = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
    hms = f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    style = rng.choice(["nginx", "nginx", "gunicorn", "app", "json"]) if labelled else "boot"
    if style == "boot":
        pid = rng.randint(1000, 60000)
        return [f"[{when} {hms} +0800] [{pid}] [INFO] Booting worker with pid: {pid + 1} "
                f"sha={hexs(rng, 12)} ts=", D("timestamp_ms", str(rng.randint(16, 17) * 10**11
                                                                 + rng.randint(0, 10**11)))]
    ip = P("ipv6", ipv6(rng)) if rng.random() < 0.2 else P("ipv4", ipv4(rng))
    if style == "json":
        return [f'{{"ts":"{when}T{hms}+08:00","level":"info","ip":"', ip, '","user":{"phone":"',
                P("cn_mobile", mobile_digits(rng)), '"},"ua":"', *_ua(rng), '","req":"',
                D("uuid", uuid(rng)), '"}']
    if style == "app":
        port = rng.randint(1024, 65535)
        peer = [ip, f":{port}"] if ip.type == "ipv4" else ["[", ip, f"]:{port}"]
        return [f"{when}T{hms}.{rng.randint(0, 999):03d}+08:00 INFO [req ", D("uuid", uuid(rng)),
                "] login ok user=", P("email", email(rng)), " from ", *peer,
                f" build=v2.{rng.randint(0, 20)}.{rng.randint(0, 9)}"]
    stamp = f"[{when.day:02d}/{_MONTHS[when.month - 1]}/{when.year}:{hms} +0800]"
    path: list = [rng.choice(["/api/v1/orders", "/healthz", "/static/app.js", "/login"])]
    roll = rng.random()
    if roll < 0.25:
        path += ["?page=2&phone=", P("cn_mobile", mobile_digits(rng))]
    elif roll < 0.45:
        path += ["?order=", D("order_no", order_no(rng)), f"&t={rng.randint(1, 10**9)}"]
    status = rng.choice(["200", "200", "302", "404", "499"])
    forwarded = ['" xff="', P("ipv4", ipv4(rng)), ", ", P("ipv4", ipv4(rng))] \
        if style == "nginx" and rng.random() < 0.2 else []
    return [ip, f' - - {stamp} "GET ', *path, f' HTTP/1.1" {status} {rng.randint(0, 90000)} '
            f'"-" "', *_ua(rng), *forwarded,
            f'" rt=0.{rng.randint(1, 999):03d} req_id={hexs(rng, 16)}']


def _invoice(rng: random.Random, count: int) -> list:
    """The lines of a VAT invoice: the buyer's USCC and bank account are its labels."""
    amount = rng.randint(100, 999_999)
    issued = f"{rng.randint(2019, 2025)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
    lines = [["增值税电子普通发票"], [f"发票号码：{digits(rng, 8)}  开票日期：{issued}"],
             [f"购买方名称：{rng.choice(['星河', '蓝海', '恒通', '启明'])}科技有限公司"]]
    values = [["纳税人识别号：", P("cn_uscc", uscc(rng))],
              [f"开户行：{rng.choice(['招商银行', '中国工商银行', '中国建设银行'])}北京分行"],
              [rng.choice(["账号：", "开户账号：", "银行账号："]),
               P("bank_account", bank_account(rng))],
              ["联系电话：", P("cn_mobile", mobile(rng))]]
    if count == 0:
        values = [["纳税人识别号：", bad_uscc(rng)], values[1]]
    elif count == 1:
        values = values[:1]
    lines += values
    lines.append([f"金额：¥{amount // 100:,}.{amount % 100:02d}  税率：6%  "
                  f"价税合计：¥{amount * 106 // 10000:,}.{amount * 106 // 100 % 100:02d}"])
    return lines


def _csv_row(rng: random.Random, labelled: bool = True) -> list:
    """A row of a spreadsheet export; names are out of scope (no label)."""
    when = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
    name = rng.choice("张王李赵刘陈杨黄") + rng.choice(["伟", "芳", "娜", "敏", "静", "磊", "洋"])
    if not labelled:
        return [f"{when},{name},,,订单", D("order_no", order_no(rng)), "未接通"]
    return [f"{when},{name},", P("cn_mobile", mobile_digits(rng)), ",",
            P("cn_resident_id", resident_id(rng).replace(" ", "")), ",已回访"]


# ------------------------------------------------------------------- documents

_ZH_KINDS = ("cn_mobile", "cn_mobile", "cn_mobile", "cn_resident_id", "cn_resident_id",
             "bank_card", "bank_account", "cn_uscc", "cn_passport", "email", "ipv4", "ipv6")
_EN_KINDS = ("us_ssn", "us_phone", "us_phone", "uk_phone", "uk_phone", "email", "email", "ipv4",
             "ipv6", "bank_card", "bank_account", "cn_passport", "cn_mobile", "cn_resident_id",
             "cn_uscc")


def _pieces(rng: random.Random, lang: str, frame: str, count: int) -> tuple[list, list]:
    """(sentences with the labelled values, filler sentences) of one document."""
    if frame == "log":
        lines = [_log_line(rng, True) for _ in range(count)]
        return lines, [_log_line(rng, False) for _ in range(4)]
    if frame == "invoice":
        return _invoice(rng, count), []
    if frame == "csv":
        rows = [_csv_row(rng) for _ in range((count + 1) // 2)]
        return [["日期,姓名,手机,身份证号,备注"], *rows], [_csv_row(rng, False) for _ in range(6)]
    sentences: list = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.08:
            sentences.append(_url(rng))
            continue
        if lang == "zh" or (lang == "mixed" and roll < 0.55):
            sentences.append(_zh_sentence(rng, rng.choice(_ZH_KINDS)))
        else:
            sentences.append(_en_sentence(rng, rng.choice(_EN_KINDS)))
    for _ in range(rng.randint(0, 3)):
        sentences.append(_decoy(rng, lang))
    if frame == "code":
        sentences += [["std::vector<std::string> peers{\"", D("mac", mac(rng)), "\"};"],
                      ["for (const auto& p : peers) std::cout << p << std::endl;"],
                      [f"static constexpr std::size_t kMax = {rng.randint(1, 65535)};"]]
    return sentences, _filler(rng, lang)


def _assemble(parts: list) -> tuple[str, list, list]:
    text, labels, decoys = [], [], []
    at = 0
    for part in parts:
        piece = part if isinstance(part, str) else part.text
        if isinstance(part, P):
            labels.append((part.type, at, at + len(piece)))
        elif isinstance(part, D):
            decoys.append((part.kind, at, at + len(piece)))
        text.append(piece)
        at += len(piece)
    return "".join(text), labels, decoys


def _document(rng: random.Random) -> Doc | None:
    lang = rng.choice(["zh", "zh", "zh", "en", "en", "mixed", "mixed"])
    frame = "log" if lang != "zh" and rng.random() < 0.3 else \
        "code" if lang == "en" and rng.random() < 0.1 else \
        rng.choice(["csv", "invoice"]) if lang == "zh" and rng.random() < 0.2 else "note"
    count = 0 if rng.random() < 0.2 else rng.randint(1, 4)
    sentences, filler = _pieces(rng, lang, frame, count)
    if frame in ("note", "log", "code"):  # a spreadsheet or an invoice keeps its order
        rng.shuffle(sentences)
    target = rng.choice([rng.randint(50, 200), rng.randint(200, 600), rng.randint(600, 1200)])
    joiner = "\n" if frame in ("log", "code", "csv", "invoice") else "" if lang == "zh" else " "
    header = {"zh": rng.choice(["【客服备注】", "回访记录：", "工单备注\n", ""]),
              "en": rng.choice(["Support note: ", "From the CRM: ", ""]),
              "mixed": rng.choice(["【CRM note】", "跟进记录 / follow-up: ", ""])}[lang]
    body = [header] if header and frame == "note" else []
    for sentence in sentences:
        body += [*sentence, joiner]
    while filler and len(_assemble(body)[0].encode()) < target:
        piece = filler.pop()
        body += [*(piece if isinstance(piece, list) else [piece]), joiner]
    text, labels, decoys = _assemble(body)
    text = text.rstrip()
    if not 50 <= len(text.encode()) <= 1200 or len(labels) > 4 or stray(text, labels, decoys):
        return None
    return Doc(text, labels, lang, decoys)


def generate(n: int, seed: int = 18) -> list[Doc]:
    """``n`` labelled documents; the same ``seed`` gives the same documents."""
    rng = random.Random(seed)  # noqa: S311  (a reproducible corpus, not a secret)
    docs: list[Doc] = []
    while len(docs) < n:
        doc = _document(rng)
        if doc is not None:
            docs.append(doc)
    return docs
