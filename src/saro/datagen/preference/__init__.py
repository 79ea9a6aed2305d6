"""Preference pairs: settings (:mod:`.config`), on-policy rollouts (:mod:`.rollouts`), OP-COT
(:mod:`.opcot`), PP-COT (:mod:`.ppcot`), direct pairs (:mod:`.direct`), prefilled rejected sides
(:mod:`.rejection`) and the stages that write pairs and cards (:mod:`.build`)."""
