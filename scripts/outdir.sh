# prepare_out DIR: make DIR the output folder of scripts/conformance.sh without ever deleting what it did
# not make. A folder this script made holds the marker file and is emptied; a new folder is made and
# marked; an empty folder that was already there is used as it is (and not marked); a folder that holds
# anything else, or a file, is refused (status 2) and left alone.
prepare_out() {
    local out=$1 mark=.made-by-conformance-sh
    if [ -e "$out" ] && [ ! -d "$out" ]; then
        echo "conformance.sh: $out is a file; set REALDEX_OUT to a folder to write" >&2
        return 2
    fi
    if [ -d "$out" ] && [ -n "$(ls -A "$out")" ]; then
        if [ ! -f "$out/$mark" ]; then
            echo "conformance.sh: $out holds files this script did not write; it is left alone." \
                 "Set REALDEX_OUT to a new or empty folder, or remove $out yourself" >&2
            return 2
        fi
        rm -rf "$out"
    fi
    if [ -d "$out" ]; then
        return 0
    fi
    mkdir -p "$out" && touch "$out/$mark"
}
