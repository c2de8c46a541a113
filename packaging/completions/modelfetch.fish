# fish completion for modelfetch: subcommands, flags, fetch ids, model ids and apps.
# Fetch and model ids come from `modelfetch __complete fetches|models`.

set -l commands get list pause resume cancel share catalog path serve version help
complete -c modelfetch -f
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -l hidden -d 'start in the tray without the window'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -l version -d 'the version, commit and Go version'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a "(modelfetch __complete models 2>/dev/null)" -d 'model id'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a get -d 'download, print the path of each file'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a list -d 'the fetches and their state'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a pause -d 'pause a fetch'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a resume -d 'let a paused fetch carry on'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a cancel -d 'cancel a fetch and delete its partial data'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a share -d 'make a downloaded model available to other apps'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a catalog -d 'the models that can be downloaded by id'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a path -d 'print the path of a downloaded file'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a serve -d 'run the engine and its local API without a window'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a version -d 'the version, commit and Go version'
complete -c modelfetch -n "not __fish_seen_subcommand_from $commands" -a help -d 'a summary of the commands'

complete -c modelfetch -n "__fish_seen_subcommand_from get" -l id -x -d 'fetch id'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l title -x -d 'what the download is called'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l sha256 -x -d 'expected SHA-256 of the file'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l total -x -d 'the file size, or the most bytes to download'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l dir -x -a "(__fish_complete_directories)" -d 'put the files in this folder'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l connections -x -d 'connections per file'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l limit-rate -x -d 'bandwidth cap per second'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l replace -d 'use this --sha256 for a file known with another'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l json -d 'print events as JSON lines'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l revision -x -d 'a Hugging Face branch, tag or commit'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l include -x -d 'only the Hugging Face files matching'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l exclude -x -d 'not the Hugging Face files matching'
complete -c modelfetch -n "__fish_seen_subcommand_from get" -l for -x -a "ollama lmstudio jan gpt4all" -d 'make the model available to these apps'
complete -c modelfetch -n "__fish_seen_subcommand_from get share" -l copy -d 'copy into an app on another disk'
complete -c modelfetch -n "__fish_seen_subcommand_from share" -a "(modelfetch __complete fetches 2>/dev/null) ollama lmstudio jan gpt4all"
complete -c modelfetch -n "__fish_seen_subcommand_from get path" -a "(modelfetch __complete models 2>/dev/null)" -d 'model id'
complete -c modelfetch -n "__fish_seen_subcommand_from pause resume" -l all -d 'every fetch'
complete -c modelfetch -n "__fish_seen_subcommand_from pause resume cancel" -a "(modelfetch __complete fetches 2>/dev/null)" -d 'fetch id'
complete -c modelfetch -n "__fish_seen_subcommand_from list catalog" -l json -d 'print JSON'
