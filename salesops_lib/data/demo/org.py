"""The organisation: regions → teams → positions → reps, with hires, exits, skill, ramp and
activity, and the allocation of the company's revenue to reps month by month.

Revenue model (one month ``m``)::

    company   R(m)  = R*(m) · η(m)                              R* = trend × season × Spring Festival
    team      T(m)  = R(m) · f_team · FTE_team / Σ_teams f · FTE
    rep       λ(m)  = T(m) · w_rep / Σ_team w
    w_rep           = skill · ramp(tenure) · (visits/FTE ÷ 20)^0.45 · (calls/FTE ÷ 35)^0.15 · FTE · selling

``selling`` is 0 in the months of a rep's leave spell (a few reps: no deals, activity or target).

The plan (targets) uses the same formula with η = 1 and each rep's expected activity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from salesops_lib.data.demo.sampling import lognormal1, stream
from salesops_lib.data.demo.spec import REGION_NAMES, REGIONS, DemoConfig
from salesops_lib.data.demo.timeline import Timeline
from salesops_lib.data.demo.vocab import person_names

NO_EXIT = np.iinfo(np.int64).max // 4
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Org:
    """Teams, reps and their monthly activity (rep × month matrices over all timeline months)."""

    team_region: np.ndarray
    team_ids: tuple[str, ...]
    team_names: tuple[str, ...]  #: display names of the teams (华东一组 …), by team
    rep_team: np.ndarray
    rep_region: np.ndarray
    rep_slot: np.ndarray
    hire: np.ndarray
    exit: np.ndarray  #: last working day, or NO_EXIT
    skill: np.ndarray
    prop_visit: np.ndarray
    prop_call: np.ndarray
    deal_size: np.ndarray  #: the rep's average order size (CNY)
    win_rate: np.ndarray
    rep_ids: pa.Array
    rep_names: pa.Array
    active: np.ndarray  #: employed days in the month
    active_past: np.ndarray  #: employed days up to as_of
    fte: np.ndarray
    fte_past: np.ndarray
    ramp: np.ndarray
    selling: np.ndarray  #: 1 = selling, 0 = on leave (no deals, activity or target) in the month
    visits: np.ndarray
    calls: np.ndarray
    meetings: np.ndarray
    slot_team: np.ndarray

    @property
    def n_reps(self) -> int:
        """Number of reps ever employed."""
        return int(self.hire.size)

    @property
    def n_teams(self) -> int:
        """Number of teams."""
        return int(self.team_region.size)

    def exit_or(self, day: int) -> np.ndarray:
        """Exit days with ``day`` for reps still employed."""
        return np.where(self.exit == NO_EXIT, day, self.exit)


@dataclass(frozen=True)
class Allocation:
    """Expected revenue by rep × month: actual (``lam``) and plan (``plan``); targets; noise."""

    lam: np.ndarray
    plan: np.ndarray
    target: np.ndarray  #: monthly rep targets (whole hundreds of CNY; 0 = no target line)
    eta: np.ndarray
    team_factor: np.ndarray
    target_months: int  #: months (from the start) that carry targets


def ramp_curve(months: np.ndarray, tau: float) -> np.ndarray:
    """Productivity of a new hire ``months`` after the hire date: 1 − exp(−months / tau)."""
    curve: np.ndarray = 1.0 - np.exp(-np.maximum(months, 0.0) / tau)
    return curve


def build_org(cfg: DemoConfig, tl: Timeline) -> Org:
    """Simulate positions month by month (exits, vacancies, hires, new positions) and the reps'
    attributes and activity.
    """
    m, spec = cfg.model, cfg.size
    rng = stream(cfg.seed, "org")
    teams_per_region = np.asarray(spec.teams_per_region)
    team_region = np.repeat(np.arange(len(REGIONS)), teams_per_region)
    width = max(2, len(str(int(teams_per_region.max()))))
    counters = np.zeros(len(REGIONS), dtype=int)
    team_ids = []
    for r in team_region:
        counters[r] += 1
        team_ids.append(f"{REGIONS[r]}-{counters[r]:0{width}d}")
    team_names = tuple(team_name(REGIONS[r], k) for r, k in zip(team_region, _team_numbers(team_region), strict=True))

    slot_team = np.repeat(np.arange(team_region.size), spec.slots_per_team)
    n0 = slot_team.size
    tenure0 = np.where(rng.random(n0) < 0.12, rng.uniform(0.0, 6.0, n0), 6.0 + rng.exponential(36.0, n0))
    reps_slot = [np.arange(n0)]
    reps_hire = [tl.start_day - np.round(tenure0 * DAYS_PER_MONTH).astype(np.int64)]
    reps_skill = [rng.lognormal(0.0, m.skill_sd, n0)]
    n_reps = n0
    current = np.arange(n0)
    rehire = np.full(n0, -1)
    exits: dict[int, int] = {}
    hire_all = reps_hire[0].copy()
    skill_all = reps_skill[0].copy()
    growth = (1 + m.growth_headcount) ** (1 / 12) - 1
    for mi in range(tl.n_window_months):
        first = int(tl.month_first[mi])
        last = int(min(first + tl.month_days[mi] - 1, tl.as_of_day))
        span = last - first + 1
        occupied = current >= 0
        who = np.where(occupied, current, 0)
        tenure = (first - hire_all[who]) / DAYS_PER_MONTH
        hazard = m.attrition_monthly * (1 + 0.6 * (skill_all[who] < 0.8)) * (1 + 0.5 * (tenure < 6))
        leave = occupied & (hire_all[who] < first) & (rng.random(current.size) < hazard)
        exit_days = first + rng.integers(0, span, current.size)
        for position in np.flatnonzero(leave):
            exits[int(current[position])] = int(exit_days[position])
        rehire[leave] = mi + rng.geometric(0.55, current.size)[leave]
        current[leave] = -1
        # growth: new positions in random teams
        n_new = int(rng.binomial(int(occupied.sum()), growth))
        if n_new:
            slot_team = np.append(slot_team, rng.integers(0, team_region.size, n_new))
            current = np.append(current, np.full(n_new, -1))
            rehire = np.append(rehire, np.full(n_new, mi))
        due = np.flatnonzero((current < 0) & (rehire == mi))
        if due.size:
            hires = first + rng.integers(0, span, due.size)
            skills = rng.lognormal(0.0, m.skill_sd, due.size)
            reps_slot.append(due)
            reps_hire.append(hires)
            reps_skill.append(skills)
            current[due] = np.arange(n_reps, n_reps + due.size)
            rehire[due] = -1
            n_reps += due.size
            hire_all = np.append(hire_all, hires)
            skill_all = np.append(skill_all, skills)

    slot = np.concatenate(reps_slot)
    hire = np.concatenate(reps_hire)
    skill = np.concatenate(reps_skill)
    exit_ = np.full(n_reps, NO_EXIT, dtype=np.int64)
    for rep, day in exits.items():
        exit_[rep] = day
    team = slot_team[slot]
    order = np.lexsort((slot, hire, team))
    slot, hire, skill, exit_, team = slot[order], hire[order], skill[order], exit_[order], team[order]
    n = n_reps
    attr = stream(cfg.seed, "org-attributes")
    prop_visit = lognormal1(attr, 0.20, n)
    prop_call = lognormal1(attr, 0.25, n)
    deal_size = m.order_size * lognormal1(attr, 0.20, n)
    win_rate = np.clip(m.win_rate * skill**0.35, 0.20, 0.55)
    names = person_names(attr, n)
    ids = pc.binary_join_element_wise(
        "R", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), 6, "0"), ""
    )

    # rep × month employment and activity
    m_first = tl.month_first[None, :]
    m_last = (tl.month_first + tl.month_days - 1)[None, :]
    exit_eff = np.where(exit_ == NO_EXIT, int(tl.days[-1]), exit_)[:, None]
    lo = np.maximum(m_first, hire[:, None])
    hi = np.minimum(m_last, exit_eff)
    active = np.clip(hi - lo + 1, 0, None)
    active_past = np.clip(np.minimum(hi, tl.as_of_day) - lo + 1, 0, None)
    fte = active / tl.month_days[None, :]
    fte_past = active_past / tl.month_days[None, :]
    tenure = ((lo + hi) / 2.0 - hire[:, None]) / DAYS_PER_MONTH
    ramp = np.where(active > 0, ramp_curve(tenure, m.ramp_tau), 0.0)
    selling = _leave_spells(cfg, tl, hire, exit_)
    act = stream(cfg.seed, "org-activity")
    visits = act.poisson(m.visits_norm * prop_visit[:, None] * fte_past * selling)
    calls = act.poisson(m.calls_norm * prop_call[:, None] * fte_past * selling)
    meetings = act.poisson(m.meetings_norm * fte_past * selling)
    return Org(
        team_region=team_region,
        team_ids=tuple(team_ids),
        team_names=team_names,
        rep_team=team,
        rep_region=team_region[team],
        rep_slot=slot,
        hire=hire,
        exit=exit_,
        skill=skill,
        prop_visit=prop_visit,
        prop_call=prop_call,
        deal_size=deal_size,
        win_rate=win_rate,
        rep_ids=ids,
        rep_names=names,
        active=active,
        active_past=active_past,
        fte=fte,
        fte_past=fte_past,
        ramp=ramp,
        selling=selling,
        visits=visits,
        calls=calls,
        meetings=meetings,
        slot_team=slot_team,
    )


def _leave_spells(cfg: DemoConfig, tl: Timeline, hire: np.ndarray, exit_: np.ndarray) -> np.ndarray:
    """Rep × month selling indicator: a share of reps has one spell of leave (whole months) that
    starts in a random month of their employment up to ``as_of``; a few tenured reps employed at
    ``as_of`` stopped selling 6–12 months before it.
    """
    m = cfg.model
    rng = stream(cfg.seed, "org-leave")
    n = hire.size
    first = np.searchsorted(tl.month_first, np.maximum(hire, tl.start_day), side="right") - 1
    last = np.searchsorted(tl.month_first, np.minimum(exit_, tl.as_of_day), side="right") - 1
    span = np.maximum(last - first + 1, 1)
    start = first + (rng.random(n) * span).astype(np.int64)
    length = rng.integers(m.leave_months[0], m.leave_months[1] + 1, n)
    on = rng.random(n) < m.leave_share
    month = np.arange(tl.n_months)[None, :]
    leave = on[:, None] & (month >= start[:, None]) & (month < (start + length)[:, None])
    # a few tenured reps on the roster at as_of stopped selling 6-12 months before it
    tenured = (exit_ > tl.as_of_day) & (hire < tl.as_of_day - 540)
    stop = tl.as_of_month - rng.integers(5, 12, n)
    quiet = tenured & (rng.random(n) < m.inactive_share)
    leave |= quiet[:, None] & (month >= stop[:, None])
    selling: np.ndarray = (~leave).astype(np.float64)
    return selling


def allocate_revenue(cfg: DemoConfig, tl: Timeline, org: Org, team_factor: np.ndarray) -> Allocation:
    """Expected revenue of every rep-month (actual and plan) and the monthly rep targets."""
    m = cfg.model
    rng = stream(cfg.seed, "allocation")
    eta = lognormal1(rng, m.month_noise, tl.n_months)
    eta[tl.n_window_months :] = 1.0
    expected = org.prop_visit[:, None] ** m.visit_elasticity * org.prop_call[:, None] ** m.call_elasticity
    with np.errstate(divide="ignore", invalid="ignore"):
        vf = (np.maximum(org.visits, 0.5) / (m.visits_norm * org.fte_past)) ** m.visit_elasticity
        cf = (np.maximum(org.calls, 0.5) / (m.calls_norm * org.fte_past)) ** m.call_elasticity
    activity = np.where(org.fte_past > 0, vf * cf, expected)
    base = org.skill[:, None] * org.ramp * org.fte * org.selling
    lam = _allocate(tl.r_star * eta, base * activity, org, team_factor)
    plan = _allocate(tl.r_star, base * expected, org, team_factor)
    target_months = tl.n_window_months + (12 - tl.as_of.month)
    target = np.zeros(plan.shape, dtype=np.int64)
    target[:, :target_months] = (np.round(plan[:, :target_months] / 100.0) * 100).astype(np.int64)
    return Allocation(lam=lam, plan=plan, target=target, eta=eta, team_factor=team_factor, target_months=target_months)


def _allocate(company: np.ndarray, weight: np.ndarray, org: Org, team_factor: np.ndarray) -> np.ndarray:
    team_fte = np.zeros((org.n_teams, company.size))
    np.add.at(team_fte, org.rep_team, org.fte)
    team_w = np.zeros_like(team_fte)
    np.add.at(team_w, org.rep_team, weight)
    share = team_factor[:, None] * team_fte
    total = share.sum(axis=0)
    team_rev = company[None, :] * np.divide(share, total, out=np.zeros_like(share), where=total > 0)
    per_w = np.divide(team_rev, team_w, out=np.zeros_like(team_rev), where=team_w > 0)
    revenue: np.ndarray = per_w[org.rep_team] * weight
    return revenue


_DIGITS = "零一二三四五六七八九"


def team_name(region: str, number: int) -> str:
    """A team's display name: its region's name and its number in Chinese (华东一组, 西南十二组).

    Examples
    --------
    >>> team_name("east", 1), team_name("southwest", 12), team_name("north", 20)
    ('华东一组', '西南十二组', '华北二十组')
    >>> team_name("east", 105), team_name("east", 110), team_name("east", 176)
    ('华东一百零五组', '华东一百一十组', '华东一百七十六组')
    """
    return f"{REGION_NAMES[region]}{chinese_number(number)}组"


def chinese_number(number: int) -> str:
    """``number`` (1…9999) in Chinese numerals: 7 七, 12 十二, 105 一百零五, 1010 一千零一十."""
    if not 0 < number < 10_000:
        raise ValueError(f"{number} is outside 1…9999")
    if number < 20:
        return _DIGITS[number] if number < 10 else "十" + (_DIGITS[number - 10] if number > 10 else "")
    words, gap = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit, number = divmod(number, size)
        if digit:
            words += ("零" if gap and words else "") + _DIGITS[digit] + unit
            gap = False
        else:
            gap = True
    return words


def _team_numbers(team_region: np.ndarray) -> list[int]:
    """Each team's number within its region (1, 2, … in the order of ``team_region``)."""
    seen: dict[int, int] = {}
    numbers = []
    for r in team_region.tolist():
        seen[r] = seen.get(r, 0) + 1
        numbers.append(seen[r])
    return numbers
