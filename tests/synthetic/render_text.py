"""Render a report dict as the text of a plausible annual report.

The layouts copy what real copies of reports look like (../shared/seeds and the
pdftotext renderings in ../shared/real/text); labels come from schemas/codes.yaml.
`render_lossy` also loses some empty (zero) cells, as text copies of HTML tables do.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby, pairwise

from tests.synthetic.generate import (
    applicants,
    cells,
    codes,
    items,
    outcomes,
    proceedings,
    random_report,
    rows,
)


class Style(StrEnum):
    SPACES = "spaces"  # a row's label then its numbers, separated by runs of spaces (seed 004)
    TABS = "tabs"  # one tab-indented cell per line, rows separated by blank lines (seed 001)
    LINES = "lines"  # one cell per line, with or without blank lines between (seeds 000, 002)
    VERTICAL = "vertical"  # like tabs, group labels and header words split one character per line (seed 001)
    FULLWIDTH = "fullwidth"  # full-width digits and punctuation (Word documents)
    LAYOUT = "layout"  # pdftotext -layout: padded columns, wrapped labels, page breaks (real PDFs)


@dataclass(frozen=True)
class Rendering:
    text: str
    truth: dict
    dropped: frozenset[tuple[str, str, str]] = frozenset()
    """Cells (table, key1, key2) whose value (always 0) was left out of the text."""


def render_text(report: dict, style: Style | str, rng: random.Random, *, thousands: bool = False) -> str:
    """The whole report as text, every cell printed."""
    return _Renderer(report, Style(style), rng, thousands, frozenset()).render()


def render_lossy(
    report: dict, style: Style | str, rng: random.Random, *, thousands: bool = False
) -> Rendering:
    """The report as text with some zero cells lost; `truth` is the report itself."""
    zeros = sorted(k for k, v in cells(report).items() if v == 0)
    rate = rng.uniform(0.05, 0.8)
    dropped = frozenset(k for k in zeros if rng.random() < rate) or frozenset(zeros[:1])
    return Rendering(_Renderer(report, Style(style), rng, thousands, dropped).render(), report, dropped)


def synthetic(
    seed: int, template: str, style: Style | str, *, lossy: bool = False, thousands: bool = False
) -> Rendering:
    """The report and rendering the property tests build from `seed`; reproduces a failing example."""
    rng = random.Random(seed)
    report = random_report(rng, template)
    if lossy:
        return render_lossy(report, style, rng, thousands=thousands)
    return Rendering(render_text(report, style, rng, thousands=thousands), report)


# --- layout words of the national templates that are not codes -----------------------------------------

CLAUSES = {
    "regulation": "（一）",
    "normative_document": "（一）",
    "administrative_license": "（五）",
    "other_management_service": "（五）",
    "administrative_penalty": "（六）",
    "administrative_coercion": "（六）",
    "administrative_fee": "（八）",
    "government_procurement": "（九）",
}
"""The 第二十条 clause each item of section 二 is printed under."""
GB2019_LABELS = {"normative_document": "规范性文件", "decisions": "处理决定数量"}
OUTCOME_GROUP = "三、本年度办理结果"
SUBGROUPS = {"（三）": "不予公开", "（四）": "无法提供", "（五）": "不予处理", "（六）": "其他处理"}
PARTIAL_NOTE = "（区分处理的，只计这一情形，不计其他情形）"
BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEAD, ORG_HEAD = "申请人情况", "法人或其他组织"
NUMERALS = "一二三四五六七八九十"

FULLWIDTH = str.maketrans("0123456789().,:;-/%", "０１２３４５６７８９（）．，：；－／％")
HALFWIDTH = str.maketrans("（）：，；", "():,;")
CLOSING = set("、，。；：！？）”’》〉」")
NOISE = {
    "现行有效件数": ["有效件数", "现行有效件"],  # seeds 000, 002
    "本年制发件数": ["本年发件"],  # seed 002
    "其他法律行政法规禁止公开": ["其他法律行政止公开"],  # hongze 2023, 2024
    "属于行政执法案卷": ["属于行政执法案件"],  # seed 002
}
"""Misprints and truncations that real copies show in template labels."""

# --- the document model ---------------------------------------------------------------------------------


@dataclass
class Row:
    labels: list[str | None]
    """Label cells left to right; None where a group label printed on an earlier row spans this one."""
    values: list[str | None]
    """Printed numbers; None where the cell was lost."""


@dataclass
class Table:
    kind: str  # disclosures | applications | reviews
    header: list[list[str]]  # header lines (rows of header cells, in HTML order)
    rows: list[Row]
    caption: str = ""
    note: str = ""


@dataclass
class Line:
    text: str
    center: bool = False


@dataclass
class Para:
    text: str


Block = Line | Para | Table


def dwidth(s: str) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def split_cols(s: str, cols: int) -> list[str]:
    """`s` in pieces of about `cols` display columns; ASCII runs are not split and no piece
    starts with closing punctuation (kinsoku, as Word and PDF layouts break lines)."""
    out, cur = [], ""
    for tok in re.findall(r"[0-9A-Za-z.,%\-]+|.", s):
        if cur and dwidth(cur + tok) > cols and tok not in CLOSING:
            out.append(cur)
            cur = tok.lstrip()
        else:
            cur += tok
    return [*out, cur] if cur else out


def space_ascii(s: str) -> str:
    """Spaces between CJK and ASCII runs, as pdftotext prints them ("2024 年")."""
    s = re.sub(r"(?<=[\u3400-\u9fff])(?=[0-9A-Za-z])", " ", s)
    return re.sub(r"(?<=[0-9A-Za-z])(?=[\u3400-\u9fff])", " ", s)


def compose(pieces: list[tuple[int, str]]) -> str:
    """One line with each text placed at its display column."""
    line = ""
    for col, text in sorted(pieces, key=lambda p: p[0]):
        gap = col - dwidth(line)
        line += " " * gap if gap > 0 else (" " if line else "")
        line += text
    return line.rstrip()


# --- prose ----------------------------------------------------------------------------------------------

FILLERS = [
    "坚持以公开为常态、不公开为例外，推进决策、执行、管理、服务、结果公开",
    "进一步规范政府信息公开工作流程，落实信息发布审核制度",
    "严格执行“先审查、后公开”和“一事一审”原则，防止涉密信息上网",
    "围绕群众关切做好政策解读和回应工作，提升政务公开质效",
    "加强政府门户网站和政务新媒体日常监管，及时更新栏目内容",
    "畅通依申请公开受理渠道，规范答复文书格式，提升办理质量",
    "对政府信息公开栏目定期开展检查，对发现的问题及时督促整改",
    "将政务公开工作纳入年度绩效考核，压实工作责任",
    "健全政府信息公开属性源头认定机制，规范公开程序",
    "优化政府信息检索、查阅和下载功能，方便群众获取政府信息",
]
COUNTED_FILLERS = [
    "全年组织政务公开业务培训{k}次",
    "召开新闻发布会{k}场",
    "整合优化政务新媒体账号{k}个",
    "开展政府网站和政务新媒体专项检查{k}次",
    "受理电话咨询{k}人次",
]
PROACTIVE = [
    "全年共主动公开政府信息{n}条",
    "主动公开各类政府信息 {n} 条",
    "{year}年，{subj}通过政府门户网站主动公开政府信息{n}条",
    "累计主动公开政府信息{n}条",
    "在政府网站平台主动公开政府信息 {n} 条",
    "共主动公开政府信息{n}余条",
]
PROACTIVE_AFTER = ["，通过政务微信公众号发布信息{m}条", "，其中政策解读{k}条", "，政务微博发布信息{m}条"]
APPLICATIONS = [
    "全年共收到政府信息公开申请{n}件",
    "全年共受理政府信息公开申请 {n} 件",
    "{year}年共收到依申请公开{n}件",
    "{subj}共受理政府信息公开申请{n}件",
    "全年收到政府信息公开申请 {n} 件",
]
APPLICATIONS_NONE = ["全年未收到政府信息公开申请", "本年度未收到政府信息公开申请"]
APPLICATIONS_AFTER = [
    "，其中网上申请{a}件，当面申请{b}件",
    "，均在法定期限内予以答复",
    "，受理电话咨询{m}人次",
]
NO_REVIEWS = [
    "本年度未发生政府信息公开行政复议和行政诉讼",
    "本年度未发生因政府信息公开引起的行政复议、行政诉讼案件",
    "本年度未被申请行政复议或提起行政诉讼",
]
RECONSIDERATION = [
    "收到政府信息公开方面的行政复议申请{n}件",
    "政府信息公开行政复议 {n} 件",
    "发生政府信息公开行政复议案件{n}件",
]
RECONSIDERATION_NONE = ["未发生政府信息公开行政复议案件", "未收到政府信息公开方面的行政复议申请"]
LITIGATION = [
    "政府信息公开行政诉讼 {n} 件",
    "因政府信息公开被提起行政诉讼{n}件",
    "发生政府信息公开行政诉讼案件{n}件",
]
LITIGATION_NONE = ["未发生政府信息公开行政诉讼案件", "未被提起政府信息公开行政诉讼"]
FEES = ["全年收取政府信息公开信息处理费 {n} 元", "共收取信息处理费{n}元"]
FEES_NONE = [
    "未收取信息处理费",
    "未收取政府信息公开信息处理费",
    "全年收取政府信息公开信息处理费 {n} 元",
    "未向申请人收取信息处理费",
]
PROBLEMS = [
    "政策解读的针对性和通俗化有待提升，个别单位解读形式单一",
    "政务公开队伍建设还需加强，存在兼职多、流动快的问题",
    "依申请公开办理的规范性还有待提高",
    "重点领域信息公开的深度和广度还有待拓展",
]
REGULATION = "《中华人民共和国政府信息公开条例》"
GB_INTRO = (
    f"本报告根据{REGULATION}（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于印发"
    "〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（{notice}）要求编制。"
)
OFFICE_INTRO = "本报告由{office}根据" + REGULATION + "（国令第711号）（以下简称《条例》）要求编制。"
LEGACY_INTRO = (
    f"本报告根据{REGULATION}（以下简称《条例》）规定编制。全文包括概述、主动公开政府信息情况、"
    "依申请公开政府信息情况、政府信息公开的收费及减免情况、因政府信息公开申请行政复议和提起行政诉讼的情况、"
    "存在的主要问题及改进措施等部分。"
)
CONTACT = "如对本报告有疑问，请与{office}联系（地址：{road}{number}号，邮编：{postcode}，电话：{phone}）。"
REMEDIES = [
    "加强业务指导培训，提升政务公开工作人员能力和水平",
    "健全依申请公开办理机制，完善会商办理流程",
    "深化重点领域信息公开，及时回应社会关切",
    "加强政府网站和政务新媒体管理，提升平台服务能力",
]


class _Renderer:
    def __init__(self, report: dict, style: Style, rng: random.Random, thousands: bool, dropped: frozenset):
        self.report, self.style, self.rng, self.dropped = report, style, rng, dropped
        self.meta, self.facts = report["report"], report["narrative"]
        self.template = self.meta["template"]
        self.thousands = thousands and style != Style.FULLWIDTH
        self.cells = cells(report)
        r = rng.random
        self.marker = rng.choice([".", ".", "、"])  # list marker of numbered sub-rows (1. / 1、)
        self.six_marker = rng.choice([self.marker, "、"])  # huaian prints 1、 for the （六） rows only
        self.partial_note = r() < 0.7
        self.curly = r() < 0.7
        self.ascii_punct = style not in (Style.LAYOUT, Style.FULLWIDTH) and r() < 0.4
        self.base = rng.choice([Style.SPACES, Style.LINES, Style.TABS]) if style == Style.FULLWIDTH else style
        self.gap_cells = r() < 0.5  # blank line between every cell (seed 000)
        self.lost_blank = r() < 0.3  # a lost cell leaves an empty tab cell behind (tabs styles)
        self.noisy = r() < 0.25  # misprinted or truncated labels
        self.spaced_group = r() < 0.3  # layout: "三 、本 年 度办 理 结果" on one line (hongze)
        self.subj = self._subject()

    def misprint(self, label: str) -> str:
        if self.noisy:
            for right, wrong in NOISE.items():
                if right in label and self.rng.random() < 0.5:
                    label = label.replace(right, self.rng.choice(wrong))
        return label

    def gaps(self, text: str, rate: float) -> str:
        """Stray spaces between CJK characters, as pdftotext prints spaced-out glyphs ("总 计")."""
        out = text[:1]
        for a, b in pairwise(text):
            out += (" " if dwidth(a) == dwidth(b) == 2 and self.rng.random() < rate else "") + b
        return out

    # numbers

    def num(self, v) -> str:
        s = repr(v) if isinstance(v, float) else str(v)
        if self.thousands:
            whole, _, frac = s.partition(".")
            sign = "-" if whole.startswith("-") else ""
            s = sign + f"{int(whole.lstrip('-')):,}" + (f".{frac}" if frac else "")
        return s

    def prose_num(self, v) -> str:
        return self.num(v) if self.rng.random() < 0.5 else str(v)

    def cell(self, table: str, k1: str, k2: str) -> str | None:
        return None if (table, k1, k2) in self.dropped else self.num(self.cells[(table, k1, k2)])

    # the document

    def render(self) -> str:
        doc = self.document()
        if self.style == Style.LAYOUT:
            return self.layout(doc)
        text = {Style.SPACES: self.spaces, Style.LINES: self.lines}.get(self.base, self.tabs)(doc)
        if self.ascii_punct:
            text = text.translate(HALFWIDTH)
        if self.style == Style.FULLWIDTH:
            text = text.translate(FULLWIDTH)
        return text

    def _subject(self) -> str:
        pub = self.meta["publisher"]
        place = pub.removesuffix("办公室").removesuffix("人民政府")
        level = next((ch for ch in reversed(place) if ch in "市区县"), "市")
        return f"{level}政府办公室" if pub.endswith("办公室") else f"我{level}"

    def document(self) -> list[Block]:
        rng, meta = self.rng, self.meta
        year, pub = meta["year"], meta["publisher"]
        title = f"{pub}{year}年政府信息公开工作年度报告"
        doc: list[Block] = []
        if self.style != Style.LAYOUT and rng.random() < 0.5:
            doc += [
                Line(
                    rng.choice(
                        ["当前位置：首页 > 政务公开 > 政府信息公开年报", "首页 > 政府信息公开 > 年度报告"]
                    )
                )
            ]
            if rng.random() < 0.5:
                doc += [Line(title)]
            doc += [Line(f"发布时间：{year + 1}-01-{rng.randint(5, 31):02d}"), Line("")]
        if self.style == Style.LAYOUT and rng.random() < 0.5:
            doc += [Line(pub, center=True), Line(f"{year}年政府信息公开工作年度报告", center=True)]
        else:
            doc += [Line(title, center=True)]
        doc += [Line("")]
        doc += self.legacy_body() if self.template == "legacy" else self.gb_body()
        doc += [Line(""), Line(pub, center=True), Line(f"{year + 1}年1月{rng.randint(5, 31)}日", center=True)]
        if self.style != Style.LAYOUT and rng.random() < 0.3:
            doc += [Line(""), Line("扫一扫在手机打开当前页")]
        return doc

    def period(self) -> str:
        y = self.meta["year"]
        return f"本报告中所列数据统计期限自{y}年1月1日起至{y}年12月31日止。"

    def contact(self) -> str:
        rng, pub = self.rng, self.meta["publisher"]
        return CONTACT.format(
            office=pub if pub.endswith("办公室") else pub + "办公室",
            road=rng.choice(["人民路", "府前街", "新华大道"]),
            number=rng.randint(1, 199),
            postcode=rng.randint(100_000, 850_000),
            phone=f"0{rng.randint(100, 999)}-{rng.randint(10_000_000, 99_999_999)}",
        )

    def filler(self, n: int = 1) -> str:
        rng = self.rng
        parts = rng.sample(FILLERS, n)
        if rng.random() < 0.4:
            parts.append(rng.choice(COUNTED_FILLERS).format(k=rng.randint(2, 60)))
        return "，".join(parts) + "。"

    def say(self, phrases: list[str], n=None) -> str:
        return self.rng.choice(phrases).format(n=n, year=self.meta["year"], subj=self.subj)

    def fact_sentences(self) -> dict[str, str]:
        """A sentence for each narrative fact group the report states."""
        rng, f, year = self.rng, self.facts, self.meta["year"]
        out = {}
        if "proactive_items_total" in f:
            n = f["proactive_items_total"]
            s = self.say(PROACTIVE, self.prose_num(n))
            if rng.random() < 0.5:
                s += rng.choice(PROACTIVE_AFTER).format(m=rng.randint(1, 900), k=rng.randint(0, n))
            out["proactive"] = f"{year}年，{s}。" if not s.startswith(str(year)) else s + "。"
        if "applications_received" in f:
            n = f["applications_received"]
            if n == 0 and rng.random() < 0.5:
                s = rng.choice(APPLICATIONS_NONE)
            else:
                s = self.say(APPLICATIONS, self.prose_num(n))
                if rng.random() < 0.5:
                    a = rng.randint(0, n)
                    s += rng.choice(APPLICATIONS_AFTER).format(a=a, b=n - a, m=rng.randint(1, 90))
            out["applications"] = s + "。"
        r, lit = f.get("reconsideration_cases"), f.get("litigation_cases")
        if r == 0 and lit == 0 and rng.random() < 0.6:
            out["reviews"] = rng.choice(NO_REVIEWS) + "。"
        elif r is not None or lit is not None:
            said = []
            if r is not None:
                none = r == 0 and rng.random() < 0.5
                said.append(rng.choice(RECONSIDERATION_NONE) if none else self.say(RECONSIDERATION, r))
                if r > 1 and rng.random() < 0.4:
                    kept = rng.randint(0, r)
                    said[-1] += f"，其中结果维持{kept}件，其他结果{r - kept}件"
            if lit is not None:
                none = lit == 0 and rng.random() < 0.5
                said.append(rng.choice(LITIGATION_NONE) if none else self.say(LITIGATION, lit))
            out["reviews"] = "；".join(said) + "。"
        if "fees_collected_cny" in f:
            n = f["fees_collected_cny"]
            out["fees"] = self.say(FEES_NONE if n == 0 else FEES, self.prose_num(n)) + "。"
        return out

    def heading_para(self, heading: str, body: str) -> list[Block]:
        """A sub-heading run into its paragraph, or on its own line."""
        if self.rng.random() < 0.6:
            return [Para(f"{heading}。{body}")]
        return [Line(heading), Para(body)]

    def gb_body(self) -> list[Block]:
        rng, year = self.rng, self.meta["year"]
        sentences = self.fact_sentences()
        notice = codes()["templates"][self.template]["zh"].removesuffix("格式")
        pub = self.meta["publisher"]
        if rng.random() < 0.5:
            intro = GB_INTRO.format(notice=notice)
        else:
            intro = OFFICE_INTRO.format(office=pub if pub.endswith("办公室") else pub + "办公室")
        intro += self.period() + (self.contact() if rng.random() < 0.6 else "")
        fees_in_six = rng.random() < 0.7
        reviews_in_two = rng.random() < 0.6
        doc: list[Block] = [Para(intro), Line("一、总体情况"), Para(f"{year}年，{self.subj}{self.filler(2)}")]
        doc += self.heading_para("（一）主动公开情况", self.filler() + sentences.get("proactive", ""))
        two = self.filler() + sentences.get("applications", "")
        two += sentences.get("reviews", "") if reviews_in_two else ""
        two += "" if fees_in_six else sentences.get("fees", "")
        doc += self.heading_para("（二）依申请公开情况", two)
        doc += self.heading_para("（三）政府信息管理情况", self.filler(2))
        doc += self.heading_para("（四）政府信息公开平台建设情况", self.filler())
        doc += self.heading_para("（五）监督保障情况", self.filler())
        if not reviews_in_two and "reviews" in sentences:
            doc += [Para(f"{year}年，{sentences['reviews']}")]
        sections = codes()["sections"]
        disclosures = sections["disclosures"]["zh"]
        if rng.random() < 0.2:
            disclosures = "二、" + sections["disclosures"]["match"][1]  # 二、主动公开信息情况 (seed 001)
        doc += [Line(disclosures), *self.disclosure_tables()]
        doc += [Line(sections["applications"]["zh"]), self.applications_table()]
        doc += [Line(sections["reviews"]["zh"]), self.reviews_table()]
        doc += [Line(sections["problems"]["zh"])]
        problems = "一是{}；二是{}。".format(*rng.sample(PROBLEMS, 2))
        doc += [Para(f"{year}年，{self.subj}政府信息公开工作取得了一定成效，但也存在一些不足：{problems}")]
        doc += [Para("下一步，将{}，{}。".format(*rng.sample(REMEDIES, 2)))]
        doc += [Line("六、其他需要报告的事项")]
        if fees_in_six and "fees" in sentences:
            doc += [
                Para(f"{year}年，{self.subj}严格落实《政府信息公开信息处理费管理办法》，{sentences['fees']}")
            ]
        else:
            doc += [Para(rng.choice(["无其他需要报告的事项。", "本年度无其他需要报告的事项。"]))]
        return doc

    def legacy_body(self) -> list[Block]:
        rng, year = self.rng, self.meta["year"]
        sentences = self.fact_sentences()
        sections = [("概述", f"{year}年，{self.subj}{self.filler(2)}")]
        sections.append(("主动公开政府信息情况", self.filler() + sentences.get("proactive", "")))
        sections.append(("依申请公开政府信息情况", self.filler() + sentences.get("applications", "")))
        if "fees" in sentences:
            fee = sentences["fees"]
            if self.facts["fees_collected_cny"] == 0 and rng.random() < 0.4:
                fee = "未发生政府信息公开收费及减免情况。"
            sections.append(("政府信息公开的收费及减免情况", f"{year}年，{fee}"))
        if "reviews" in sentences:
            sections.append(
                ("因政府信息公开申请行政复议、提起行政诉讼的情况", f"{year}年，{sentences['reviews']}")
            )
        problems = f"一是{rng.choice(PROBLEMS)}。下一步，将{rng.choice(REMEDIES)}。"
        sections.append(("政府信息公开工作存在的主要问题及改进情况", problems))
        sections.append(("其他需要报告的事项", "无其他需要报告的事项。"))
        doc: list[Block] = [Para(LEGACY_INTRO + self.period())]
        for i, (heading, body) in enumerate(sections):
            doc += [Line(f"{NUMERALS[i]}、{heading}"), Para(body)]
        return doc

    # the tables, as cells

    def disclosure_tables(self) -> list[Table]:
        gb2019 = self.template == "gb2019"
        labels = {k: v["zh"] for group in ("items", "measures") for k, v in codes()[group].items()}
        if gb2019:
            labels |= GB2019_LABELS
        out = []
        for clause, group in groupby(items(self.template), key=lambda im: CLAUSES[im[0]]):
            group = list(group)
            header = ["信息内容", *(self.misprint(labels[m]) for m in group[0][1])]
            body = [Row([labels[i]], [self.cell("disclosures", i, m) for m in ms]) for i, ms in group]
            out.append(Table("disclosures", [header], body, caption=f"第二十条第{clause}项"))
        return out

    def row_label(self, row: str) -> tuple[str | None, str]:
        """(subgroup, label) of a section-三 row as printed; subgroup is None outside （三）…（六）."""
        zh = codes()["rows"][row]["zh"]
        if self.curly:
            zh = re.sub(r'"(.*?)"', r"“\1”", zh)
        m = re.match(r"^三(（.）)(.*)$", zh)
        if not m:
            return None, zh
        paren, rest = m.groups()
        if rest[:1].isdigit():
            marker = self.six_marker if paren == "（六）" else self.marker
            return paren + SUBGROUPS[paren], self.misprint(rest[0] + marker + rest[2:])
        if row == "partially_granted" and self.partial_note:
            rest += PARTIAL_NOTE
        return None, paren + rest

    def applications_table(self) -> Table:
        *orgs, total = applicants()
        names = {a: codes()["applicants"][a]["zh"] for a in applicants()}
        header = [[APPLICANT_HEAD], [names[orgs[0]], ORG_HEAD, names[total]], [names[a] for a in orgs[1:]]]
        body, group, sub = [], None, None
        for row in rows(self.template):
            subgroup, label = self.row_label(row)
            values = [self.cell("applications", row, a) for a in applicants()]
            if not codes()["rows"][row]["section"].startswith(("outcome_", "processed_")):
                body.append(Row([label], values))
                continue
            first = group is None
            group = OUTCOME_GROUP
            cells = [group if first else None]
            if subgroup:
                cells.append(subgroup if subgroup != sub else None)
            sub = subgroup
            body.append(Row([*cells, label], values))
        return Table("applications", header, body, note=BALANCE_NOTE)

    def reviews_table(self) -> Table:
        names = [codes()["proceedings"][p]["zh"] for p in proceedings()]
        split = [re.match(r"^(.+?)(?:（(.+)）)?$", n).groups() for n in names]
        outs = [codes()["outcomes"][o]["zh"] for o in outcomes()]
        header = [
            list(dict.fromkeys(head for head, _ in split)),
            [*outs, *(sub for _, sub in split if sub)],
            outs * (len(split) - 1),
        ]
        values = [self.cell("reviews", p, o) for p in proceedings() for o in outcomes()]
        return Table("reviews", header, [Row([], values)])

    # styles

    def sep(self) -> str:
        choices = [" ", " ", "  ", "   ", " \xa0", "\xa0"]
        if self.style == Style.FULLWIDTH:
            choices += ["\u3000", " \u3000"]
        return self.rng.choice(choices)

    def crack(self, word: str) -> str:
        """Now and then a space inside a header word ("本年新 制作数量", seed 004)."""
        if len(word) >= 6 and self.rng.random() < 0.3:
            i = self.rng.randint(2, len(word) - 2)
            return word[:i] + " " + word[i:]
        return word

    def spaces(self, doc: list[Block]) -> str:
        rng, out = self.rng, []
        for block in doc:
            if isinstance(block, Line):
                out.append(block.text)
            elif isinstance(block, Para):
                out += [rng.choice(["", "  ", "\u3000\u3000"]) + block.text, ""]
            else:
                if block.caption:
                    out.append(block.caption)
                header = [[self.crack(w) for w in hl] for hl in block.header]
                if block.note:
                    header[0] = [block.note, *header[0]]
                out += [" ".join(hl) for hl in header]
                for row in block.rows:
                    labels = " ".join(x for x in row.labels if x)
                    out.append(
                        (labels + "".join(self.sep() + v for v in row.values if v is not None)).strip()
                    )
                if block.kind != "disclosures":
                    out.append("")
        return "\n".join(out) + "\n"

    def lines(self, doc: list[Block]) -> str:
        gap = "\n\n" if self.gap_cells else "\n"
        out = []
        for block in doc:
            if isinstance(block, Line | Para):
                out.append(block.text)
                continue
            if block.caption:
                out.append(block.caption)
            if block.note:
                out.append(block.note)
            for hl in block.header:
                out += [self.split_word(w, gap) for w in hl]
            for row in block.rows:
                out += [x for x in row.labels if x]
                out += [self.pad_value(v) for v in row.values if v is not None]
        return gap.join(out) + "\n"

    def pad_value(self, v: str) -> str:
        return self.rng.choice(["", "", "", " ", "\xa0"]) + v

    def split_word(self, word: str, sep: str) -> str:
        """A header word broken into lines: whole, two-character pieces, or (vertical) one per line."""
        r = self.rng.random()
        if self.style == Style.VERTICAL and len(word) <= 4 and r < 0.8:
            return "\n".join(word)
        if 4 <= len(word) <= 6 and re.fullmatch(r"[\u4e00-\u9fff]+", word) and r < 0.4:
            return sep.join(word[i : i + 2] for i in range(0, len(word), 2))
        return word

    def vertical(self, label: str) -> str:
        """A group label one character per line, its marker kept whole (三、本 / 年 / 度 …, seed 001)."""
        m = re.match(r"^(\S、\S|（\S）)(.*)$", label)
        head, rest = m.groups() if m else ("", label)
        size = 2 if head.startswith("（") else 1
        return "\n\n".join([head, *(rest[i : i + size] for i in range(0, len(rest), size))])

    def tabs(self, doc: list[Block]) -> str:
        """Tab-indented cells, one per line (seed 001); the vertical style splits group labels."""
        rng = self.rng
        tab = "\t" if self.style != Style.VERTICAL or rng.random() < 0.8 else ""
        out = []
        for block in doc:
            if isinstance(block, Line):
                out.append(block.text)
                continue
            if isinstance(block, Para):
                out += ["    " * (rng.random() < 0.4) + block.text, ""]
                continue
            if block.caption:
                out += [tab + block.caption, ""]
            if block.note:
                out.append(tab + block.note)
            for i, hl in enumerate(block.header):
                corner = [tab] * (i if block.kind == "applications" else 0)
                out += [*corner, *(tab + self.split_word(w, "\n\n") for w in hl), ""]
            if block.kind == "reviews" and tab and rng.random() < 0.5:
                out += [*([tab] * len(block.rows[0].values)), ""]  # empty cells of the merged header rows
            for row in block.rows:
                for i, label in enumerate(row.labels):
                    if label is None:
                        out.append(tab)
                    elif self.style == Style.VERTICAL and i < len(row.labels) - 1:
                        out.append(tab + self.vertical(label))
                    else:
                        out.append(tab + label)
                for v in row.values:
                    if v is not None:
                        out.append(tab + v)
                    elif self.lost_blank and tab:
                        out.append(tab)
                out.append("")
            out.append("")
        return "\n".join(out) + "\n"

    # pdftotext -layout

    def layout(self, doc: list[Block]) -> str:
        rng, width = self.rng, self.rng.randint(56, 68)
        lines: list[tuple[str, bool]] = []  # (text, a page may break before it)
        for block in doc:
            if isinstance(block, Line):
                text = space_ascii(block.text)
                indent = max(0, (width - dwidth(text)) // 2) if block.center else rng.randint(0, 6)
                lines.append(((" " * indent + text) if text else "", True))
            elif isinstance(block, Para):
                pieces = split_cols(space_ascii(block.text), width - 3)
                head = " " * rng.choice([3, 3, 6])
                lines += [(head + pieces[0], True), *((p, True) for p in pieces[1:])]
            else:
                lines += getattr(self, f"layout_{block.kind}")(block)
        return self.paginate(lines)

    def values_at(self, cols: list[int], width: int, values: list[str | None]) -> list[tuple[int, str]]:
        """Numbers placed in their columns, a little ragged as pdftotext prints them."""
        right = self.rng.random() < 0.3
        out = []
        for col, v in zip(cols, values, strict=True):
            if v is not None:
                out.append((col + (width - 2 - len(v) if right else self.rng.randint(0, 1)), v))
        return out

    def blank(self, most: int = 2) -> list[tuple[str, bool]]:
        return [("", True)] * self.rng.randint(0, most)

    def layout_disclosures(self, table: Table) -> list[tuple[str, bool]]:
        rng = self.rng
        label_end = max(dwidth(r.labels[0]) for r in table.rows) + rng.randint(4, 16)
        widths = [
            max(dwidth(h), *(len(r.values[i] or "") for r in table.rows)) + rng.randint(3, 6)
            for i, h in enumerate(table.header[0][1:])
        ]
        cols = [label_end + sum(widths[:i]) for i in range(len(widths))]
        caption = table.caption.replace("条第", "条 第") if rng.random() < 0.5 else table.caption
        out = [(" " * rng.randint(0, 16) + caption, True), *self.blank()]
        head, *measures = table.header[0]
        out.append((compose([(rng.randint(0, 8), head), *zip(cols, measures, strict=True)]), True))
        out += self.blank()
        for row in table.rows:
            out.append((compose([(0, row.labels[0]), *self.values_at(cols, min(widths), row.values)]), True))
            out += self.blank(1)
        return out

    def layout_applications(self, table: Table) -> list[tuple[str, bool]]:
        rng = self.rng
        sub_col = rng.randint(4, 7)
        leaf_col = sub_col + rng.randint(9, 13)
        label_end = leaf_col + 2 * rng.randint(12, 20)
        width = max(len(v or "") for r in table.rows for v in r.values) + rng.randint(4, 7)
        start = label_end + rng.randint(2, 6)
        cols = [start + i * width for i in range(len(applicants()))]
        out = self.layout_applications_header(table, cols, width, label_end)
        blocks: list[
            list[tuple[list[tuple[int, str]], bool]]
        ] = []  # per row: its lines, each (pieces, labelled)
        spans: dict[str, list[int]] = {}  # group or subgroup label -> indexes of the rows it spans
        group = sub = None
        for i, row in enumerate(table.rows):
            depth = len(row.labels)
            if depth >= 2:
                group = row.labels[0] or group
                spans.setdefault(group, []).append(i)
            if depth == 3:
                sub = row.labels[1] or sub
                spans.setdefault(sub, []).append(i)
            col = {1: 0, 2: sub_col, 3: leaf_col}[depth]
            blocks.append(self.layout_row(row.labels[-1], col, label_end, cols, width, row.values))
        before: dict[int, list[tuple[int, str]]] = {}
        for label, idx in spans.items():
            col = 0 if label == OUTCOME_GROUP else sub_col
            if label == OUTCOME_GROUP and self.spaced_group:
                parts = [" " + self.gaps(label, 0.5)]
            elif label == OUTCOME_GROUP:
                m = re.match(r"^(\S、)(.*)$", label)
                parts = [m[1], *m[2]]
            else:
                parts = split_cols(label, rng.choice([8, 8, 10, 14]))
            slots = sorted(rng.sample(idx, len(parts))) if len(parts) <= len(idx) else [idx[0]] * len(parts)
            for part, slot in zip(parts, slots, strict=True):
                if rng.random() < 0.5:
                    blocks[slot][0][0].append((col, part))
                else:
                    before.setdefault(slot, []).append((col, part))
        gap = rng.random() < 0.5
        for i, block in enumerate(blocks):
            if i in before:
                out.append((compose(before[i]), True))
            out += [(compose(pieces), j == 0 and i not in before) for j, (pieces, _) in enumerate(block)]
            if gap:
                out.append(("", True))
        return out

    def layout_row(
        self, label, col, label_end, cols, width, values
    ) -> list[tuple[list[tuple[int, str]], bool]]:
        """One table row: its label wrapped, its numbers on one of the lines or on a line of their own."""
        rng = self.rng
        if rng.random() < 0.15:
            label = self.gaps(label, 0.08)
        parts = split_cols(label, max(8, label_end - col - rng.randint(0, 4)))
        lines = [([(col + (2 if i and rng.random() < 0.3 else 0), p)], True) for i, p in enumerate(parts)]
        numbers = self.values_at(cols, width, values)
        if len(parts) == 1 or rng.random() < 0.5:
            at = rng.randrange(len(parts))
            lines[at][0].extend(numbers)
        else:
            lines.insert(rng.randint(1, len(parts)), (numbers, False))
        return lines

    def layout_applications_header(self, table: Table, cols, width, label_end) -> list[tuple[str, bool]]:
        rng = self.rng
        (head,), (natural, org, total), orgs = table.header
        note = split_cols(table.note, label_end - rng.randint(0, 6))
        lines = [[(cols[1] + rng.randint(0, 2 * width), head)], [], *([] for _ in note[1:])]
        lines[1].append((cols[1] + rng.randint(0, width), org))
        for i, part in enumerate(note):
            lines[i + 1].append((0, part))
        lines.append([(cols[0], natural), (cols[-1], total)])
        words = [split_cols(w, width - 1) for w in orgs]
        depth = max(map(len, words))
        org_lines = [[] for _ in range(depth)]
        for col, parts in zip(cols[1:], words, strict=False):
            top = (depth - len(parts)) // 2
            for j, part in enumerate(parts):
                org_lines[top + j].append((col, part))
        out = [(compose(p), True) for p in lines + org_lines]
        return [*out, *self.blank()]

    def layout_reviews(self, table: Table) -> list[tuple[str, bool]]:
        rng = self.rng
        values = table.rows[0].values
        width = max(4, *(len(v or "") for v in values)) + rng.randint(2, 5)
        cols = [i * width for i in range(len(values))]
        heads, (*outs5, direct, after), _ = table.header
        per = len(outcomes())
        out = [(compose([(rng.randint(0, 8), heads[0]), (cols[per] + rng.randint(0, 8), heads[1])]), True)]
        out += [*self.blank(), (compose([(cols[per], direct), (cols[2 * per], after)]), True), *self.blank()]
        words = [split_cols(self.gaps(w, 0.15), width - 1) for w in outs5] * (len(values) // per)
        depth = max(map(len, words))
        head_lines = [[] for _ in range(depth)]
        for col, parts in zip(cols, words, strict=True):
            top = (depth - len(parts)) // 2
            for j, part in enumerate(parts):
                head_lines[top + j].append((col, part))
        out += [(compose(p), True) for p in head_lines]
        out += [*self.blank(3), (compose(self.values_at(cols, width, values)), True), *self.blank()]
        return out

    def paginate(self, lines: list[tuple[str, bool]]) -> str:
        """Pages of 40-60 lines, each ended by its page number and a form feed; maybe a running header."""
        rng, meta = self.rng, self.meta
        running = space_ascii(f"{meta['publisher']}{meta['year']}年政府信息公开工作年度报告")
        header = rng.random() < 0.7
        page_len, out, page, count = rng.randint(40, 60), [], 1, 0

        def footer() -> list[str]:
            number = " " * rng.randint(0, 45) + rng.choice(["-{p}-", "- {p} -"]).format(p=page)
            return [*[""] * rng.randint(0, 3), number]

        for text, breakable in lines:
            if count >= page_len and breakable:
                out += footer()
                page += 1
                count = 0
                if header:
                    out.append("\f" + " " * rng.randint(0, 20) + running)
                    text_line = text
                else:
                    text_line = "\f" + text
                out.append(text_line)
            else:
                out.append(text)
            count += 1
        out += footer()
        return "\n".join(out) + "\n\f"


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description="Print a synthetic report (text, or --truth for its gold JSON).")
    ap.add_argument("seed", type=int)
    ap.add_argument("template", choices=["gb2021", "gb2019", "legacy"])
    ap.add_argument("style", choices=[s.value for s in Style])
    ap.add_argument("--lossy", action="store_true")
    ap.add_argument("--thousands", action="store_true")
    ap.add_argument("--truth", action="store_true")
    a = ap.parse_args()
    r = synthetic(a.seed, a.template, a.style, lossy=a.lossy, thousands=a.thousands)
    print(json.dumps(r.truth, ensure_ascii=False, indent=1) if a.truth else r.text, end="")
