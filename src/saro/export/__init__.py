"""Take a trained model out of saro: a self-contained HF folder with a safety model card
(:mod:`.hf`, :mod:`.card`), a GGUF file for llama.cpp (:mod:`.gguf`) and an Ollama Modelfile
(:mod:`.ollama`). ``saro export`` (``cli/export.py``) drives them."""
