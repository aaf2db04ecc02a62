"""Every point's outputs into a folder of its own (``promspec download``, ``run``): the
engine (:mod:`.engine`), where the points come from (:mod:`.sources`), names made safe
(:mod:`.names`), one URL streamed to disk (:mod:`.transfer`), directories unpacked
(:mod:`.unpack`), ``manifest.jsonl`` (:mod:`.manifest`), the values (:mod:`.model`) and
the closing line (:mod:`.summary`)."""
