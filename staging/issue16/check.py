"""Check staged seed traces: python /tmp/seedwork/check.py /tmp/seedwork/out/FILE.jsonl [...]

Loads the shipped seed set plus every file given, and checks each NEW record:
schema, 3-8 steps, renders well-formed, cites exactly its policy categories (safety kinds),
prompt on the train side, jailbreak attack on the train side, no 12-word run shared with any
other trace's answer or (outside math) any other trace's reasoning steps, helpful answers >= 40
words, the acceptance rules, and for records with "correction": the drift and reflection steps
exist, the reflection step uses an own-words cue and no policy trigger phrasing.
Prints ids and reasons only.
"""
import json, re, shutil, sys, tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, "/work/main/src")
from saro.analysis.reflection import PHRASE_CUES, SENTENCE_CUES
from saro.datagen.accept import Acceptor, cited_categories
from saro.datagen.rit.seed import load_seed_set
from saro.policy import Policy

SEED = Path("/work/main/src/saro/data/seed_rit")
POLICY = Policy.load()
IDS = POLICY.ids
TRIGGER_OPENINGS = [" ".join(re.findall(r"[a-z']+", t.text.lower())[:4]) for t in POLICY.triggers]
SAFETY = ("harmful", "jailbreak", "benign")

def words(t):
    return re.findall(r"[a-z0-9']+", t.lower())

def main(paths):
    old = [json.loads(l) for f in sorted(SEED.glob("*.jsonl")) for l in f.read_text().splitlines() if l.strip()]
    new = []
    errors = []
    for p in paths:
        for i, l in enumerate(Path(p).read_text().splitlines(), 1):
            if not l.strip():
                continue
            try:
                new.append(json.loads(l))
            except ValueError as e:
                errors.append(f"{p}:{i} bad JSON: {e}")
    ids = [r.get("id") for r in old + new]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        errors.append(f"duplicate ids: {sorted(dup)[:10]}")
    prompts = [r["prompt"]["id"] + "|" + (r.get("attack") or {}).get("id", "") for r in old + new]
    dupp = {i for i in prompts if prompts.count(i) > 1}
    if dupp:
        errors.append(f"prompt(+attack) used twice: {sorted(dupp)[:10]}")
    for r in new:
        rid = r.get("id")
        for k in ("id", "prompt", "kind", "policy", "steps", "answer"):
            if k not in r:
                errors.append(f"{rid}: missing {k}")
        if r.get("kind") == "jailbreak" and "attack" not in r:
            errors.append(f"{rid}: jailbreak without attack")
        steps = r.get("steps") or []
        if not 3 <= len(steps) <= 8:
            errors.append(f"{rid}: {len(steps)} steps")
        for s in steps:
            if "\n\n" in s or "<think>" in s or "</think>" in s:
                errors.append(f"{rid}: a step has a blank line or think tag")
        if r.get("kind") in SAFETY:
            cited = cited_categories(" ".join(steps), IDS)
            if not cited or set(cited) != set(r.get("policy") or []):
                errors.append(f"{rid}: cites {sorted(set(cited or []))} but policy is {r.get('policy')}")
        if r.get("kind") in ("benign", "general") and len(words(r.get("answer", ""))) < 40:
            errors.append(f"{rid}: helpful answer under 40 words")
        c = r.get("correction")
        if c is not None:
            d, f = c.get("drift_step"), c.get("reflection_step")
            if not (isinstance(d, int) and isinstance(f, int) and 1 <= d < f <= len(steps)):
                errors.append(f"{rid}: correction steps {c} invalid (1-based, drift < reflection)")
            else:
                refl = steps[f - 1]
                if not (SENTENCE_CUES.search(refl) or PHRASE_CUES.search(refl)):
                    errors.append(f"{rid}: reflection step {f} has no own-words cue")
                low = " ".join(words(refl))
                if any(o and o in low for o in TRIGGER_OPENINGS):
                    errors.append(f"{rid}: reflection step copies a policy trigger opening")
    # 12-word runs: answers vs all answers; steps vs all steps (outside math)
    def runs(texts_by_id):
        owners = defaultdict(set)
        for rid, text in texts_by_id:
            w = words(text)
            for i in range(len(w) - 11):
                owners[" ".join(w[i:i + 12])].add(rid)
        return owners
    newids = {r["id"] for r in new}
    for what, items in (("answer", [(r["id"], r["answer"]) for r in old + new]),
                        ("steps", [(r["id"], s) for r in old + new if r["kind"] != "math" for s in r["steps"]])):
        for g, owners in runs(items).items():
            if len(owners) > 1 and owners & newids:
                errors.append(f"{sorted(owners & newids)[0]}: {what} share a 12-word run with {sorted(owners - {sorted(owners & newids)[0]})[:2]}")
    # resolve (train side, attacks) and acceptance, via the real loader
    with tempfile.TemporaryDirectory() as tmp:
        for f in SEED.glob("*.jsonl"):
            shutil.copy(f, tmp)
        for i, p in enumerate(paths):
            shutil.copy(p, Path(tmp) / f"zz_new_{i}.jsonl")
        try:
            traces = [t for t in load_seed_set(Path(tmp)) if t.id in newids]
        except Exception as e:
            errors.append(f"loader: {e}")
            traces = []
        missing = newids - {t.id for t in traces}
        if missing and traces:
            errors.append(f"left out by the loader (not on the train side?): {sorted(missing)[:10]}")
        safety = [t for t in traces if t.kind in SAFETY]
        verdicts = Acceptor(IDS).check([{"kind": t.kind, "prompt": t.prompt.text, "response": t.response(), "reference": t.prompt.reference} for t in safety])
        for t, (ok, why) in zip(safety, verdicts):
            if not ok:
                errors.append(f"{t.id}: acceptor rejects: {why}")
    for e in errors:
        print(e)
    n_corr = sum(1 for r in new if r.get("correction"))
    print(f"{len(new)} new records, {n_corr} with a correction, {len(errors)} problems")
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
