"""The reference runtime of cue packages: loads a package (folder or zip, checked as it is read) and
plays it with the playback ``Player``, block by block.  Imports only numpy, soundfile, the standard
library and ``composer_assist.playback``/``core`` (an import contract holds this), so a streaming
client can ship it without DawDreamer, scikit-learn or pydantic.

    pkg = open_package("out/night_chase.pkg")
    audio, player = pkg.render(load_trace("viewer.csv"), profile=pkg.profile(cluster="suspense-lovers"))
"""
