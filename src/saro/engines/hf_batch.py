"""Continuous batching over a transformers model's ``forward``: the scheduler the library lacks.

``model.generate`` decodes a padded batch until its longest row ends, so rows that stopped early
keep costing a full step each. transformers 5.24 also ships paged continuous batching
(``generate_batch``); it runs on CPU but measured slower than plain batched ``generate`` here
(see docs/performance.md), so this module writes by hand only the scheduling:

* rows are kept in one left-padded KV cache (:class:`SlotLayer`, a preallocated buffer per
  layer written in place, instead of ``DynamicLayer``'s ``torch.cat`` that copies the whole cache
  every step);
* a row leaves the batch the step it ends (EOS, stop string or length);
* freed slots are refilled from the length-sorted queue: the new prompts are prefilled together
  (identical prompts, i.e. the ``n`` samples of one request, only once) and their KV rows are
  right-aligned into the running cache, so every row writes its next token in the same column;
* each row samples with its own generator seeded from (seed, prompt, sample index), so a sample
  does not depend on which other rows shared its batch.

Models whose layers are not all full attention (sliding windows, linear attention) fall back to
the library's ``DynamicCache`` without refills: finished rows still leave the batch.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from transformers.cache_utils import Cache, DynamicCache, DynamicLayer

from saro.engines.base import SamplingParams

# A prefill bucket is not closed below this many padded tokens: smaller forward passes use the
# CPU poorly (see :meth:`ContinuousBatcher._buckets`).
PREFILL_MIN_TOKENS = 256


@dataclass
class Row:
    """One sequence: its caller key, prompt ids, sampling seed and generated ids."""

    key: int
    prompt: list[int]
    seed: int
    generated: list[int] = field(default_factory=list)
    generator: torch.Generator | None = None


def row_seed(seed: int, prompt: str, index: int) -> int:
    """A per-row seed that depends only on the call's seed, the prompt and the sample index."""
    digest = hashlib.sha256(f"{seed}\0{index}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class SlotLayer(DynamicLayer):
    """A KV layer backed by a growable buffer ``[batch, heads, capacity, dim]`` written in place."""

    def __init__(self) -> None:
        super().__init__()
        self.k_buf: torch.Tensor | None = None
        self.v_buf: torch.Tensor | None = None
        self.length = 0

    def _sync(self) -> None:
        self.keys = self.k_buf[:, :, : self.length]
        self.values = self.v_buf[:, :, : self.length]

    def set(self, keys: torch.Tensor, values: torch.Tensor, spare: int) -> None:
        """Replace the content with ``keys``/``values``, leaving room for ``spare`` more tokens."""
        b, h, t, d = keys.shape
        self.k_buf = keys.new_zeros(b, h, t + spare, d)
        self.v_buf = values.new_zeros(b, h, t + spare, d)
        self.k_buf[:, :, :t] = keys
        self.v_buf[:, :, :t] = values
        self.length = t
        self.is_initialized = True
        self.device = keys.device
        self._sync()

    def update(self, key_states, value_states, *args, **kwargs):
        if self.k_buf is None:
            self.set(key_states, value_states, spare=64)
            return self.keys, self.values
        s = key_states.shape[-2]
        if self.length + s > self.k_buf.shape[2]:  # grow geometrically: amortised O(1) per token
            self.set(self.keys, self.values, spare=max(64, self.length + s))
        self.k_buf[:, :, self.length : self.length + s] = key_states
        self.v_buf[:, :, self.length : self.length + s] = value_states
        self.length += s
        self._sync()
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length

    def batch_select_indices(self, indices: torch.Tensor) -> None:
        # One gather of the whole buffer, spare room included: cheaper than gathering the used
        # part and copying it into a fresh zeroed buffer (two copies and a fill).
        self.k_buf = self.k_buf.index_select(0, indices)
        self.v_buf = self.v_buf.index_select(0, indices)
        self._sync()


def _left_pad(x: torch.Tensor, length: int, dim: int) -> torch.Tensor:
    missing = length - x.shape[dim]
    if missing == 0:
        return x
    shape = list(x.shape)
    shape[dim] = missing
    return torch.cat([x.new_zeros(shape), x], dim=dim)


def supports_refill(config) -> bool:
    """True when every layer is plain full attention, so KV rows can be moved between caches."""
    text = config.get_text_config(decoder=True)
    types = getattr(text, "layer_types", None) or ["full_attention"]
    return all(t == "full_attention" for t in types) and not getattr(text, "sliding_window", None)


class ContinuousBatcher:
    """Decode many rows with a bounded batch, dropping finished rows and refilling from a queue."""

    def __init__(
        self,
        model,
        *,
        eos_ids: set[int],
        pad_id: int,
        batch_size: int,
        max_batch_tokens: int,
        max_prefill_tokens: int,
        device: str = "cpu",
    ):
        self.model = model
        self.eos_ids = eos_ids
        self.pad_id = pad_id
        self.batch_size = batch_size
        self.max_batch_tokens = max_batch_tokens
        self.max_prefill_tokens = max_prefill_tokens
        self.device = device
        self.refill = supports_refill(model.config)
        self.n_layers = model.config.get_text_config(decoder=True).num_hidden_layers
        # transformers 5.24 renamed ``past_key_values`` to ``cache``; older 5.x and remote code
        # still take the old name.
        params = inspect.signature(model.forward).parameters
        self.cache_arg = "cache" if "cache" in params else "past_key_values"
        # Refill once a quarter of the slots are free: a prefill costs about one decode step
        # (the weights are read once either way), so topping up one row at a time wastes steps.
        self.refill_min = max(1, batch_size // 4)

    # -- the loop ------------------------------------------------------------------------------
    def run(
        self,
        rows: list[Row],
        params: SamplingParams,
        finish: Callable[[Row, str], None],
        *,
        stopped: Callable[[list[int]], bool] | None = None,
        progress: bool = True,
    ) -> None:
        """Generate every row; ``finish(row, "stop" | "length")`` is called as each one ends."""
        from tqdm.auto import tqdm

        # Longest first: the biggest prefill happens first (fails fast on memory), and stable
        # sorting keeps the n samples of one prompt together so they share one prefill.
        queue = sorted(rows, key=lambda r: -len(r.prompt))
        queue.reverse()  # pop() from the end takes the longest
        active: list[Row] = []
        cache = mask = pos = last = None
        bar = tqdm(total=len(rows), disable=not progress, unit="seq", desc="generate")
        started, produced = time.perf_counter(), 0
        while queue or active:
            free = self.batch_size - len(active)
            group: list[Row] = []
            if queue and (not active or (self.refill and free >= self.refill_min)):
                length = mask.shape[1] if mask is not None else 0
                group = self._take(queue, len(active), length, params.max_new_tokens)
            if group:
                # the group's own room only matters when it is the whole batch
                g_spare = 0 if active else params.max_new_tokens
                g_cache, g_mask, g_logits = self._prefill(group, g_spare)
                g_last = sample(g_logits, group, params)
                g_pos = g_mask.sum(1)
                if active:
                    parts = [(cache, mask), (g_cache, g_mask)]
                    cache, mask = self._merge(parts, spare=params.max_new_tokens)
                    pos, last = torch.cat([pos, g_pos]), torch.cat([last, g_last])
                else:
                    cache, mask, pos, last = g_cache, g_mask, g_pos, g_last
                active += group
                produced += len(group)
            else:
                mask = torch.cat([mask, mask.new_ones(len(active), 1)], dim=1)
                out = self.model(
                    input_ids=last[:, None],
                    attention_mask=mask,
                    position_ids=pos[:, None],
                    use_cache=True,
                    **{self.cache_arg: cache},
                    logits_to_keep=1,
                )
                pos = pos + 1
                last = sample(out.logits[:, -1], active, params)
                produced += len(active)
            keep = []
            for i, row in enumerate(active):
                reason = self._ended(row, params, stopped)
                if reason:
                    finish(row, reason)
                    bar.update(1)
                else:
                    keep.append(i)
            if len(keep) < len(active):
                active = [active[i] for i in keep]
                idx = torch.tensor(keep, dtype=torch.long, device=mask.device)
                cache.batch_select_indices(idx)
                mask, pos, last = mask[idx], pos[idx], last[idx]
                cache, mask = self._trim(cache, mask)
            bar.set_postfix(tok_s=f"{produced / (time.perf_counter() - started):.0f}")
        bar.close()

    def _ended(self, row: Row, params: SamplingParams, stopped) -> str | None:
        if row.generated[-1] in self.eos_ids:
            return "stop"
        if stopped is not None and stopped(row.generated):
            return "stop"
        if len(row.generated) >= params.max_new_tokens:
            return "length"
        return None

    def _take(self, queue: list[Row], n_active: int, length: int, max_new: int) -> list[Row]:
        """Pop rows while the batch and KV-memory caps allow (always at least one).

        The prefill cap is kept by :meth:`_buckets`, one forward pass at a time; a model whose
        caches cannot be merged has a single pass, so there it limits the group instead.
        """
        group: list[Row] = []
        while queue and n_active + len(group) < self.batch_size:
            row = queue[-1]
            width = max([length, len(row.prompt)] + [len(r.prompt) for r in group])
            kv_tokens = (n_active + len(group) + 1) * (width + max_new)
            one_pass_too_big = (
                not self.refill
                and (len(group) + 1) * max([len(row.prompt)] + [len(r.prompt) for r in group])
                > self.max_prefill_tokens
            )
            if group and (kv_tokens > self.max_batch_tokens or one_pass_too_big):
                break
            if not group and n_active and kv_tokens > self.max_batch_tokens:
                break
            group.append(queue.pop())
        return group

    # -- prefill, merge, trim ------------------------------------------------------------------
    def _prefill(self, group: list[Row], spare: int):
        """Prefill the unique prompts of a group once, then repeat rows for repeated prompts.

        The unique prompts (longest first) are prefilled in length buckets, so a 40-token prompt
        is not padded to the group's 110 tokens: one padded forward pass over the group's mixed
        lengths measured 36% of its tokens as padding on the bench's prompts. Buckets are merged
        with room for ``spare`` more tokens.
        """
        prompts = sorted(dict.fromkeys(tuple(r.prompt) for r in group), key=lambda p: -len(p))
        rank = {p: i for i, p in enumerate(prompts)}
        order = [rank[tuple(r.prompt)] for r in group]
        parts, logits = [], []
        for bucket in self._buckets(prompts):
            b_cache, b_mask, b_logits = self._prefill_bucket(bucket)
            parts.append((b_cache, b_mask))
            logits.append(b_logits)
        cache, mask = parts[0] if len(parts) == 1 else self._merge(parts, spare)
        idx = torch.tensor(order, dtype=torch.long, device=mask.device)
        if order != list(range(len(group))):  # repeated prompts, or rows not longest first
            cache.batch_select_indices(idx)
        return cache, mask[idx], torch.cat(logits)[idx]

    def _buckets(self, prompts: list[tuple[int, ...]]) -> list[list[tuple[int, ...]]]:
        """Split length-sorted prompts into forward passes of at most ``max_prefill_tokens``
        padded tokens, and where padding to the bucket's width would waste more than 20%.

        The padding rule closes a bucket only once it holds ``PREFILL_MIN_TOKENS`` padded tokens,
        as a small forward pass uses the CPU poorly. Models that cannot merge caches get a single
        bucket (:meth:`_take` keeps their groups within the cap).
        """
        buckets: list[list[tuple[int, ...]]] = []
        for p in prompts:
            last = buckets[-1] if buckets else None
            width = len(last[0]) if last else 0
            if last is None or (
                self.refill
                and (
                    width * (len(last) + 1) > self.max_prefill_tokens
                    or (width * len(last) >= PREFILL_MIN_TOKENS and len(p) < 0.8 * width)
                )
            ):
                buckets.append([p])
            else:
                last.append(p)
        return buckets

    def _prefill_bucket(self, prompts: list[tuple[int, ...]]):
        width = len(prompts[0])
        ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p) :] = torch.tensor(p)
            mask[i, width - len(p) :] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        position_ids = (mask.cumsum(1) - 1).clamp(min=0)
        cache = self._new_cache()
        out = self.model(
            input_ids=ids,
            attention_mask=mask,
            position_ids=position_ids,
            use_cache=True,
            **{self.cache_arg: cache},
            logits_to_keep=1,
        )
        return cache, mask, out.logits[:, -1]

    def _new_cache(self) -> Cache:
        if self.refill:
            return Cache(layers=[SlotLayer() for _ in range(self.n_layers)])
        return DynamicCache(config=self.model.config)

    def _merge(self, parts: list[tuple[Cache, torch.Tensor]], spare: int):
        """Right-align caches (pad on the left) and stack their rows, in one copy per layer."""
        width = max(mask.shape[1] for _, mask in parts)
        merged = parts[0][0]
        for i, layer in enumerate(merged.layers):
            layers = [cache.layers[i] for cache, _ in parts]
            keys = torch.cat([_left_pad(x.keys, width, 2) for x in layers])
            values = torch.cat([_left_pad(x.values, width, 2) for x in layers])
            layer.set(keys, values, spare=spare)
        return merged, torch.cat([_left_pad(mask, width, 1) for _, mask in parts])

    def _trim(self, cache, mask):
        """Drop leading columns that are padding for every remaining row (after rows left)."""
        if not self.refill:
            return cache, mask
        used = mask.any(0).nonzero()
        start = int(used[0]) if len(used) else 0
        if start < 32:  # not worth a copy of the whole cache
            return cache, mask
        for layer in cache.layers:
            layer.set(layer.keys[:, :, start:], layer.values[:, :, start:], spare=64)
        return cache, mask[:, start:]


def sample(logits: torch.Tensor, rows: list[Row], params: SamplingParams) -> torch.Tensor:
    """Greedy at temperature 0, else temperature + top-p with one generator per row.

    Sampling inverts each row's CDF at one uniform draw from the row's own generator: a
    single batched ``cumsum`` + ``searchsorted`` instead of one ``torch.multinomial`` call per
    row, which measured about 5x slower over a 49k-token vocabulary.
    """
    if params.temperature == 0:
        nxt = logits.argmax(-1)
    else:
        probs = torch.softmax(logits.float() / params.temperature, dim=-1)
        if params.top_p < 1.0:
            sorted_p, order = probs.sort(dim=-1, descending=True)
            drop = sorted_p.cumsum(-1) - sorted_p > params.top_p  # keep the first token
            sorted_p = sorted_p.masked_fill(drop, 0.0)
            probs = torch.zeros_like(probs).scatter_(-1, order, sorted_p)
        for row in rows:
            if row.generator is None:
                row.generator = torch.Generator().manual_seed(row.seed)
        u = torch.cat([torch.rand(1, generator=row.generator) for row in rows])
        cdf = probs.cumsum(-1)
        target = (u.to(cdf.device) * cdf[:, -1])[:, None]
        nxt = torch.searchsorted(cdf, target, right=True)[:, 0].clamp(max=cdf.shape[1] - 1)
    for row, token in zip(rows, nxt.tolist(), strict=True):
        row.generated.append(token)
    return nxt
