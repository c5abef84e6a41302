"""The rules of `piwarden policy lint`, as data (docs/policy-lint.md).

Each rule reports one defect of requirements §4. Patterns are regular expressions, matched
case-insensitively against one sentence (whitespace collapsed, curly quotes made straight);
English and Chinese alternatives sit in the same pattern; a pattern made of lookaheads
(every part must occur somewhere in the sentence) starts with ^, or the search would retry
it at every position. A rule stays loose enough to catch
a light rewording and narrow enough to leave the corrected policy
(examples/policy/privacy-policy-corrected.txt) alone: tests hold it to both.
"""

from dataclasses import dataclass

CONFLICT = "conflict"
MISSING = "missing"
EDITORIAL = "editorial"


@dataclass(frozen=True)
class Rule:
    """One check. Which fields count depends on the severity.

    conflict: a sentence matching one of `patterns` is reported, unless it matches one of
    `unless`, or its paragraph fails `context`, or its clause title fails `clause`, or some
    paragraph of the text matches `cured_by` (the text fixes the defect elsewhere).
    missing: reported when no sentence matches `required`; the finding quotes the first
    sentence matching `anchor` (where the text touches the topic without saying enough).
    editorial: `check` names a detector in lint.py.
    """

    id: str
    item: str
    article: str
    severity: str
    title: str
    advice: str
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    clause: tuple[str, ...] = ()
    cured_by: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    anchor: tuple[str, ...] = ()
    check: str = ""


_NEGATED = r"\b(not|never|no)\b[^.;]{0,30}"
_SHARING = r"^(?=.*(\bshar|\bprovid|\bdisclos|\btransfer|共享|提供|披露|转让))"
_SENSITIVE = r"^(?=.*(\bsensitive\s+(personal\s+)?(information|data)|\bSPI\b|敏感个人信息))"
_SEPARATE = r"\bseparate(ly)?\b|单独同意"

RULES: tuple[Rule, ...] = (
    Rule(
        id="L-1", item="1", article="PIPL Art. 14, 16", severity=CONFLICT,
        title="Consent deemed from use of the service",
        advice="Delete it: using or browsing the site is never consent. Ask for consent where "
               "it is needed, by an explicit act, and keep the site usable without it.",
        patterns=(
            r"\b(deemed|considered|regarded|treated|taken)\s+(as\s+)?(to\s+)?(have\s+)?"
            r"(agree|agreed|agreeing|consent|consented|accept|accepted|acceptance|agreement)",
            r"\b(by|through|upon|if\s+you|when\s+you|once\s+you)\s+(continu\w*\s+to\s+)?"
            r"(us(e|es|ing)|access\w*|brows\w*|visit\w*)\b[^.;]{0,120}\byou\s+"
            r"((hereby|thereby|therefore|also|fully|will|shall)\s+)?"
            r"(agree|consent|accept|acknowledge)",
            r"\b(use|using|browsing|access)\b[^.;]{0,60}\b(constitutes?|means|signifies|"
            r"indicates|implies)\s+(that\s+)?(you\s+(accept|agree|consent)|(your\s+)?"
            r"(acceptance|consent|agreement))",
            r"视为[^。；]{0,10}(同意|接受|授权)",
            r"(使用|访问|浏览)[^。；]{0,30}即(表示|代表|意味着)[^。；]{0,6}(同意|接受)",
        ),
        unless=(_NEGATED + r"\b(deemed|considered|regarded|treated|taken|means?|constitutes?)",
                r"不[会得]?(被)?视为"),
    ),
    Rule(
        id="L-2", item="2", article="PIPL Art. 29", severity=CONFLICT,
        title="Agreement to sensitive PI in the policy text is not separate consent",
        advice="Ask for separate consent for each kind of sensitive PI where it is collected, "
               "stating why it is necessary and how it affects the person.",
        patterns=(
            _SENSITIVE + r"^(?=.*\byou\s+((hereby|thereby|also|fully)\s+)?"
            r"(agree|consent|accept|authori[sz]e)\b)",
            _SENSITIVE + r"^(?=.*\b(by|in)\s+(accepting|agreeing\s+to|reading)\s+this\s+"
            r"(privacy\s+)?policy)",
            r"^(?=.*敏感个人信息)(?=.*(您|你)(已|即|确认)?(同意|授权))",
        ),
        unless=(_SEPARATE,),
    ),
    Rule(
        id="L-3", item="3", article="PIPL Art. 6", severity=CONFLICT,
        title="App installation list or sensor data: a website cannot obtain them",
        advice="Remove them, or keep them for a future native app behind an operating-system "
               "permission and its own notice.",
        patterns=(
            r"\b(app|application|software)s?\s+install(ation|ed)\s+list",
            r"\blist\s+of\s+(installed\s+)?(apps|applications|software)\b",
            r"\binstalled\s+(apps|applications)\b",
            r"\bsensor\s+(data|information|readings)",
            r"(应用|软件|App)\s*(安装)?列表|已安装(的)?(应用|软件)|传感器(数据|信息)",
        ),
        unless=(r"\b(do|does|will|shall)\s+not\s+collect|\bnever\s+collect|不(会)?收集",),
    ),
    Rule(
        id="L-4", item="4", article="PIPL Art. 28, 29", severity=CONFLICT,
        title="Precise location treated as ordinary PI",
        advice="Say that precise location (whereabouts) is sensitive PI and ask for separate "
               "consent before the browser is asked for it.",
        patterns=(
            r"\b(actual|precise|exact|accurate|real-time|GPS)\s+(geographic(al)?\s+)?"
            r"(geo-?)?(location|position|coordinates)",
            r"\bGPS\b",
            r"精确(地理)?位置|精准定位|GPS|行踪轨迹",
        ),
        cured_by=(r"^(?=.*(\blocation|\bwhereabouts|位置|行踪))(?=.*(\bsensitive|敏感))",),
    ),
    Rule(
        id="L-5", item="5", article="PIPL Art. 13", severity=CONFLICT,
        title="'Protecting our interests' is not a legal basis",
        advice="Provide PI without consent only on an Art. 13 basis: a legal duty (13(3)) or "
               "to protect a natural person's life, health or property in an emergency (13(4)).",
        patterns=(
            _SHARING + r"^(?=.*\b(protect|safeguard|defend|preserv|secur)\w*\s+(the\s+)?"
            r"((legitimate|lawful|legal)\s+)?(rights?|interests?|property|safety)"
            r"((\s*,\s*|\s+(and|or|and/or)\s+|\s*,\s*(and|or)\s+)(the\s+)?"
            r"((legitimate|lawful|legal)\s+)?(rights?|interests?|property|safety))*"
            r"\s+of\s+(Intron|us|ourselves|the\s+company|our\s+(company|group|business)))",
            _SHARING + r"^(?=.*\b(protect|safeguard|defend|preserv)\w*\s+(our|Intron's|"
            r"the\s+company's)\s+(own\s+)?((legitimate|lawful|legal)\s+)?"
            r"(rights?|interests?|property))",
            r"(维护|保护|保障)[^。；]{0,6}(本公司|我们|我司|公司)[^。；]{0,4}(合法)?"
            r"(权益|利益|财产|权利)",
        ),
    ),
    Rule(
        id="L-6", item="6", article="PIPL Art. 23", severity=CONFLICT,
        title="Affiliates 'bound by this policy' instead of separate consent",
        advice="An affiliate that decides purposes and means is another handler: name it and "
               "ask for separate consent (or rely on another Art. 13 basis).",
        patterns=(
            r"\bbound\s+by\s+(this|the|our)\s+(privacy\s+)?policy",
            r"(受|遵守)本(隐私)?政策(的)?约束",
        ),
        context=(r"\b(shar\w*|provid\w*|disclos\w*)\s+(with|to)\s+(or\s+among\s+)?(our\s+)?"
                 r"affiliates|\bamong\s+(our\s+)?affiliates|关联(公司|方)",),
        unless=(_SEPARATE,),
    ),
    Rule(
        id="L-7", item="7", article="PIPL Art. 38, 39", severity=CONFLICT,
        title="Recipients worldwide without a cross-border transfer mechanism",
        advice="Name overseas recipients, ask for separate consent (Art. 39) and state the "
               "mechanism: CAC security assessment, filed standard contract or certification.",
        patterns=(
            r"\b(partners?|suppliers?|service\s+providers?|vendors?|OEMs?|third\s+parties|"
            r"recipients?|affiliates)\b[^.;]{0,80}\b(worldwide|globally|around\s+the\s+world|"
            r"across\s+the\s+world|overseas|abroad|outside\s+(of\s+)?(mainland\s+)?China)",
            r"(合作伙伴|供应商|服务提供商|第三方|接收方)[^。；]{0,40}(全球|境外|海外)",
        ),
        cured_by=(r"^(?=.*(\babroad|\boverseas|outside\s+(of\s+)?(mainland\s+)?China|"
                  r"cross-?border|境外|出境|跨境))(?=.*(standard\s+contract|security\s+"
                  r"assessment|certification|标准合同|安全评估|认证))",),
    ),
    Rule(
        id="L-8", item="8", article="PIPL Art. 25, 13(3)", severity=CONFLICT,
        title="Provision to authorities mixed into public disclosure",
        advice="Move provision to competent authorities (Art. 13(3)) to its own clause; public "
               "disclosure (Art. 25) needs separate consent.",
        patterns=(
            r"\b(competent|government(al)?|judicial|regulatory|administrative|"
            r"law\s+enforcement|public\s+security)\s+(authorit\w*|organs?|agenc\w*|bodies|"
            r"departments?)",
            r"\bcourts?\b|\bpolice\b",
            r"有权机关|主管部门|司法机关|行政机关|公安机关|监管部门",
        ),
        clause=(r"^\s*(public(ly)?\s+disclos|公开披露)",),
    ),
    Rule(
        id="L-9", item="9", article="PIPL Art. 13", severity=CONFLICT,
        title="'Safe and stable operation' has no Art. 13 counterpart",
        advice="Rely on it only where it fits Art. 13(2) (necessary for the contract); "
               "otherwise ask for consent. Remove it from the exceptions.",
        patterns=(r"\b(safe(ty)?\s+and\s+)?stable\s+operation|安全[、和与]?稳定运行",),
        context=(r"\bexception|\bwithout\s+(your\s+)?(authori[sz]ation|consent)|例外|"
                 r"无需[^。；]{0,6}(授权|同意)|不需要?[^。；]{0,6}(授权|同意)",),
    ),
    Rule(
        id="L-10", item="10", article="PIPL Art. 46", severity=CONFLICT,
        title="Sign-up information that cannot be modified",
        advice="Offer a correction request, with evidence and verification, for details that "
               "cannot be edited directly; never a flat refusal.",
        patterns=(
            r"^(?=.*\b(sign-?up|registration|registered|initial)\b)(?=.*\b(may|might|will|"
            r"would)\s+not\s+be\s+able\s+to\s+(modify|change|correct|update|edit|amend))",
            r"^(?=.*\b(sign-?up|registration|registered|initial)\b)(?=.*\b(cannot|can\s*not|"
            r"can't)\s+(be\s+)?(modif|chang|correct|updat|edit|amend))",
            r"(无法|不能|不可)(修改|更正|变更)[^。；]{0,20}(注册|初始)|"
            r"(注册|初始)[^。；]{0,20}(无法|不能|不可)(修改|更正|变更)",
        ),
        unless=(r"correction\s+request|request\s+(a\s+)?correction|ask\s+us\s+to\s+correct|"
                r"更正请求|申请更正",),
    ),
    Rule(
        id="L-11", item="11", article="PIPL Art. 47(1)(3)", severity=CONFLICT,
        title="Withdrawal leaves stored data in place",
        advice="Say that after a withdrawal the PI whose only basis was that consent is "
               "deleted or anonymized (Art. 47(1)(3)); past processing stays lawful (Art. 15).",
        patterns=(
            r"\bwithdr[ae]w\w*[^.;]{0,80}\b(not|n't)\s+affect[^.;]{0,60}\b(stor\w*|retain\w*|"
            r"retention|keep\w*|kept|hold\w*)",
            r"^(?=.*\bwithdr[ae]w)(?=.*\bunless\s+you\s+(also\s+)?(exercise|request|ask|use)"
            r"[^.;]{0,40}\b(delet|eras))",
            r"\bwithdr[ae]w\w*[^.;]{0,120}\b(continue\s+to\s+(store|retain|keep|hold)|"
            r"(still|remain)\s+(be\s+)?(stored|retained|kept))",
            r"撤回[^。；]{0,40}不(会)?影响[^。；]{0,40}(存储|保存|保留|留存)",
            r"^(?=.*撤回)(?=.*除非[^。；]{0,15}(行使|要求|申请)[^。；]{0,10}删除)",
        ),
        unless=(r"\b(will|shall)\s+(then\s+)?(promptly\s+)?(delete|erase|anonymi[sz]e)|"
                r"将[^。；]{0,6}删除",),
    ),
    Rule(
        id="L-12", item="12", article="PIPL Art. 50; GB/T 35273-2020 8.5", severity=CONFLICT,
        title="Cancellation left to the company's discretion",
        advice="Let people cancel; show balances and open matters as reminders with a way to "
               "settle them, and give reasons for any refusal.",
        patterns=(
            r"\b(determine|decide|assess|judge|consider)\s+whether\s+(or\s+not\s+)?(to\s+)?"
            r"(support|accept|approve|allow|process|grant|agree\s+to|honou?r)\b"
            r"[^.;]{0,40}\b(cancel|clos|delet|deactivat)",
            r"\b(sole|own)\s+discretion[^.;]{0,60}\bcancel|\bcancel[^.;]{0,60}\b(sole|own)\s+"
            r"discretion",
            r"(决定|判断|审核|评估)是否(支持|同意|受理|接受|允许)[^。；]{0,10}注销",
        ),
    ),
    Rule(
        id="L-13a", item="13", article="PIPL Art. 17(1)(2)", severity=MISSING,
        title="No retention periods",
        advice="State how long each kind of PI is kept (a number of days, months or years, or "
               "the event that ends it) and what happens then.",
        required=(r"^(?=.*(\bretention\s+period|\bretain\w*|\bkept\b|\bkeep\w*|\bstored\s+for|"
                  r"\bdelete\w*\s+after|保存|保留|存储期限))"
                  r"^(?=.*(\b\d+\s*(business\s+|working\s+)?(days?|months?|years?)\b|"
                  r"\b(one|two|three|six|twelve|thirty)\s+(days?|months?|years?)\b|"
                  r"\d+\s*(天|日|个月|年)))",),
        anchor=(r"\b(retain\w*|retention|kept)\b|保存|保留",),
    ),
    Rule(
        id="L-13b", item="13", article="PIPL Art. 28, 31", severity=MISSING,
        title="No clause on minors",
        advice="Say how PI of children under 14 is handled: guardian consent and its own "
               "processing rules.",
        required=(r"\bminors?\b|\bchild(ren)?\b|\bunder\s+(the\s+age\s+of\s+)?14\b|"
                  r"\bguardians?\b|未成年|儿童|不满十四|未满十四|监护人",),
    ),
    Rule(
        id="L-13c", item="13", article="PIPL Art. 52", severity=MISSING,
        title="No named personal information protection officer",
        advice="Name the PI protection officer (or the responsible department) and publish "
               "their contact.",
        required=(r"^(?=.*(personal\s+information\s+protection\s+officer|data\s+protection\s+"
                  r"officer|\bDPO\b|个人信息保护负责人))"
                  r"^(?=.*(@|\bcontact|\breach|\bwrite|\bcall|邮箱|电话|联系))",),
        anchor=(r"[\w.+-]+@[\w-]+(\.[\w-]+)+",),
    ),
    Rule(
        id="L-13d", item="13", article="PIPL Art. 24", severity=MISSING,
        title="No way to refuse personalised recommendations or automated decisions",
        advice="Offer an option not targeted at personal characteristics, or an easy way to "
               "refuse, wherever recommendations or automated decisions use PI.",
        required=(r"^(?=.*(\bpersonali[sz]ed|\bautomated\s+decision|\brecommend\w*|"
                  r"\btargeted|个性化|自动化决策|推荐|推送))"
                  r"^(?=.*(\bopt\s*-?\s*out|\brefuse|\bturn\s+off|\bswitch\s+off|\bdecline|"
                  r"\bnon-?personali[sz]ed|拒绝|关闭|退订))",),
        anchor=(r"\brecommend\w*|\bpersonali[sz]ed|\bbased\s+on\s+your\s+(web\s+)?browsing|"
                r"\btargeted|个性化|推荐|推送",),
    ),
    Rule(
        id="L-13e", item="13", article="PIPL Art. 50; GB/T 35273-2020 8.7", severity=MISSING,
        title="No complaint or regulator route",
        advice="Say where a person can complain if the answer does not satisfy them (the "
               "Cyberspace Administration or other competent department) and that they may sue.",
        required=(r"^(?=.*(\bcomplain\w*|\blawsuit|\bsue\b|投诉|举报|起诉|诉讼))"
                  r"^(?=.*(\bregulator\w*|\bregulatory|Cyberspace\s+Administration|\bCAC\b|"
                  r"\bsupervisory|competent\s+(authorit|department)|\bcourt|\blawsuit|网信|"
                  r"监管部门|主管部门|法院))",),
        anchor=(r"[\w.+-]+@[\w-]+(\.[\w-]+)+",),
    ),
    Rule(
        id="E-14a", item="14", article="-", severity=EDITORIAL,
        title="Paragraph repeated", check="duplicates",
        advice="Delete the repeated paragraph.",
    ),
    Rule(
        id="E-14b", item="14", article="-", severity=EDITORIAL,
        title="List number out of sequence", check="numbering",
        advice="Renumber the list.",
    ),
    Rule(
        id="E-14c", item="14", article="-", severity=EDITORIAL,
        title="Stray letter before a sentence", check="stray_letters",
        advice="Delete the stray letter.",
    ),
    Rule(
        id="E-14d", item="14", article="-", severity=EDITORIAL,
        title="Broken word", check="typos",
        advice="Fix the word.",
    ),
    Rule(
        id="E-14e", item="14", article="PIPL Art. 17(1)(1)", severity=EDITORIAL,
        title="Contact domain does not match the handler's name", check="contact_domain",
        advice="Confirm the handler owns the domain, and say so in the text, or use a mailbox "
               "on the handler's own domain.",
    ),
)

# Broken words seen in policy texts, with what was meant (E-14d).
TYPOS = {"ou": "you", "yuo": "you", "teh": "the", "hte": "the", "adn": "and", "taht": "that",
         "wiht": "with", "recieve": "receive", "infomation": "information",
         "persoanl": "personal", "privcay": "privacy", "polciy": "policy"}

# Words of a company's name that say nothing about which domain it owns (E-14e).
GENERIC_NAME_WORDS = {"technology", "technologies", "china", "company", "limited", "ltd",
                      "co", "group", "holdings", "international", "information", "network",
                      "networks", "software", "services", "service", "shanghai", "beijing",
                      "shenzhen", "the", "and", "inc", "corporation", "corp"}
