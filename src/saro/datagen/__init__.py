"""The data builders, SaRO's two datasets: RIT-D for the warmup (:mod:`.rit`) and the
preference pairs for SRPO and the direct-DPO baseline (:mod:`.preference`); the acceptance rules
both use are in :mod:`.accept`."""
