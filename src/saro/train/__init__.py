"""Training stages as thin layers over TRL.

* :mod:`saro.train.sft`: RW and the Safety-SFT baseline (``SFTTrainer`` on RIT-D).
* :mod:`saro.train.dpo`: SRPO and the direct-DPO baseline (``DPOTrainer`` on preference pairs).

Each stage is ``main(config) -> output_dir``; configs come from
:func:`saro.train.config.load_config`. Multi-process runs start through the CLI:
``accelerate launch ... -m saro.cli train sft --config FILE``.
"""
