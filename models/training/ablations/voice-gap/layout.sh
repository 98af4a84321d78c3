# Sourced by the voice-gap data scripts: val_folder DIR makes DIR a val-only data folder in the layout
# validate reads: speech/val (filled by the caller), a link to the shared noise/val, and links to the
# shared train folders (validate builds the train source but never scores it). SRC is the shared data.
val_folder() {
    mkdir -p "$1/speech/val" "$1/noise" "$1/rir"
    ln -s "$(realpath "$src/noise/val")" "$1/noise/val"
    for k in speech noise rir; do ln -s "$(realpath "$src/$k/train")" "$1/$k/train"; done
}
