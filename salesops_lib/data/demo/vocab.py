"""Chinese display vocabulary: person names, company names, cities, products, campaign titles.

Ids and categorical values stay ASCII (``east``, ``web``, ``enterprise``); names are Chinese.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红飞丹宇浩凯晨欣雪梅琳婷博文斌晶颖俊鑫波宁雷峰"
    "海燕佳慧子轩怡然思远志诚嘉睿诗涵梓萱昊天雨泽"
)
CITIES: dict[str, tuple[str, ...]] = {
    "east": ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "无锡", "温州"),
    "north": ("北京", "天津", "石家庄", "太原", "济南", "青岛", "唐山", "呼和浩特"),
    "south": ("广州", "深圳", "东莞", "佛山", "厦门", "南宁", "珠海", "海口"),
    "southwest": ("成都", "重庆", "昆明", "贵阳", "绵阳", "南充"),
    "central": ("武汉", "长沙", "郑州", "南昌", "洛阳", "宜昌", "株洲"),
}
FIRM_WORDS = tuple(
    "恒信 华泰 宏达 金源 鼎盛 瑞丰 新锐 博远 众诚 天和 永盛 中科 精工 远航 嘉禾 汇通 盛世 和兴 德润 泰康 "
    "聚力 安达 正通 华信 鸿运 隆基 凯达 星辰 海纳 卓越 中联".split()
)
INDUSTRY_SUFFIX: dict[str, tuple[str, ...]] = {
    "manufacturing": ("机械制造", "精密机械", "汽车零部件", "电子制造"),
    "retail": ("商贸", "连锁零售", "百货"),
    "healthcare": ("医疗器械", "医药", "健康科技"),
    "finance": ("金融服务", "融资租赁", "保险代理"),
    "logistics": ("物流", "供应链管理", "仓储"),
    "education": ("教育科技", "职业教育"),
    "energy": ("新能源", "电力设备", "能源科技"),
    "it_services": ("信息技术", "软件", "数据科技"),
}
PRODUCTS: tuple[tuple[str, str, str, float, float], ...] = (
    # product_id, name, family, list price, cost ratio
    ("P01", "工业控制器", "hardware", 28_000.0, 0.68),
    ("P02", "传感器套件", "hardware", 8_500.0, 0.72),
    ("P03", "边缘网关", "hardware", 15_000.0, 0.66),
    ("P04", "MES 软件许可", "software", 60_000.0, 0.30),
    ("P05", "数据分析平台订阅", "software", 24_000.0, 0.35),
    ("P06", "运维服务包", "services", 12_000.0, 0.50),
    ("P07", "实施服务", "services", 30_000.0, 0.58),
    ("P08", "培训服务", "services", 5_000.0, 0.45),
)
PRODUCT_SHARE: tuple[float, ...] = (0.16, 0.18, 0.14, 0.08, 0.12, 0.14, 0.10, 0.08)
EXPO_TITLES = ("工业博览会", "智能制造展", "数字化转型峰会", "行业技术展", "新品发布展")
LOST_REASONS: tuple[str, ...] = ("unqualified", "no_need", "no_budget", "timing", "competitor", "price", "no_decision")
#: lost-reason probabilities by the stage a deal was lost from (lead, follow-up, proposal, negotiation)
LOST_REASON_P: tuple[tuple[float, ...], ...] = (
    (0.55, 0.35, 0.10, 0.0, 0.0, 0.0, 0.0),
    (0.0, 0.15, 0.35, 0.30, 0.20, 0.0, 0.0),
    (0.0, 0.0, 0.15, 0.10, 0.35, 0.40, 0.0),
    (0.0, 0.0, 0.05, 0.05, 0.30, 0.40, 0.20),
)


def pick_strings(vocab: tuple[str, ...], index: np.ndarray) -> pa.Array:
    """``vocab[index]`` as an Arrow string array (fast for millions of rows)."""
    return pc.take(pa.array(vocab, pa.string()), pa.array(index, pa.int64()))


def person_names(rng: np.random.Generator, n: int) -> pa.Array:
    """Chinese person names: a surname and one or two given characters."""
    sur = pick_strings(SURNAMES, rng.integers(0, len(SURNAMES), n))
    g1 = pick_strings(GIVEN, rng.integers(0, len(GIVEN), n))
    two = rng.random(n) < 0.6
    g2 = pick_strings(("", *GIVEN), np.where(two, rng.integers(1, len(GIVEN) + 1, n), 0))
    return pc.binary_join_element_wise(sur, g1, g2, "")


def company_names(
    rng: np.random.Generator,
    region: np.ndarray,
    industry: np.ndarray,
    enterprise: np.ndarray,
    regions: tuple[str, ...],
    industries: tuple[str, ...],
) -> pa.Array:
    """Company names such as 杭州恒信机械制造有限公司 from region, industry and segment."""
    n = region.size
    city_vocab: list[str] = []
    city_idx = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for r, name in enumerate(regions):
        cities = CITIES[name]
        mask = region == r
        city_idx[mask] = len(city_vocab) + np.minimum((u[mask] * len(cities)).astype(np.int64), len(cities) - 1)
        city_vocab += cities
    suffix_vocab: list[str] = []
    suffix_idx = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for i, name in enumerate(industries):
        options = INDUSTRY_SUFFIX[name]
        mask = industry == i
        suffix_idx[mask] = len(suffix_vocab) + np.minimum((u[mask] * len(options)).astype(np.int64), len(options) - 1)
        suffix_vocab += options
    word = pick_strings(FIRM_WORDS, rng.integers(0, len(FIRM_WORDS), n))
    tail = pick_strings(("有限公司", "集团有限公司"), enterprise.astype(np.int64))
    return pc.binary_join_element_wise(
        pick_strings(tuple(city_vocab), city_idx), word, pick_strings(tuple(suffix_vocab), suffix_idx), tail, ""
    )
