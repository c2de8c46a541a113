# bash completion for modelfetch: subcommands, flags, fetch ids, model ids and apps.
# Fetch and model ids come from `modelfetch __complete fetches|models`.

_modelfetch() {
	local cur prev words cword
	_init_completion || return
	local commands="get list pause resume cancel share catalog path serve version help"
	if ((cword == 1)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--hidden --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands $(modelfetch __complete models 2>/dev/null)" -- "$cur"))
		fi
		return
	fi
	case ${words[1]} in
	get)
		case $prev in
		--dir)
			_filedir -d
			return
			;;
		--for)
			COMPREPLY=($(compgen -W "ollama lmstudio jan gpt4all" -- "$cur"))
			return
			;;
		--id | --title | --sha256 | --total | --connections | --limit-rate | --revision | --include | --exclude)
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--id --title --sha256 --total --dir --connections --limit-rate --replace --json --revision --include --exclude --for --copy --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(modelfetch __complete models 2>/dev/null)" -- "$cur"))
		fi
		;;
	pause | resume | cancel)
		((cword == 2)) || return
		local all=""
		[[ ${words[1]} != cancel ]] && all="--all"
		COMPREPLY=($(compgen -W "$all $(modelfetch __complete fetches 2>/dev/null)" -- "$cur"))
		;;
	share)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--copy --remove --help" -- "$cur"))
		elif ((cword == 2)); then
			COMPREPLY=($(compgen -W "$(modelfetch __complete fetches 2>/dev/null)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "ollama lmstudio jan gpt4all" -- "$cur"))
		fi
		;;
	path)
		((cword == 2)) && COMPREPLY=($(compgen -W "$(modelfetch __complete models 2>/dev/null)" -- "$cur"))
		;;
	list | catalog)
		COMPREPLY=($(compgen -W "--json" -- "$cur"))
		;;
	esac
}
complete -F _modelfetch modelfetch
