; ModelFetch's Windows installer, built by `make windows-installer` with
; Debian's makensis. It installs for the person running it, without admin
; rights or a UAC prompt, where per-user programs go
; (%LOCALAPPDATA%\Programs\ModelFetch), and registers its uninstaller in
; HKCU, so that Settings > Apps lists and removes it. make defines:
;   VERSION      the version from FyneApp.toml: 0.1.0
;   VERSION_NUM  the four numbers Windows wants for a file version: 0.1.0.1
;   APPID        the app's id, Fyne's UniqueID: io.github.modelfetch
;   EXE, COM     the window program and its console twin (see the Makefile)
;   ICON         the app icon, a .ico
;   OUTFILE      the installer to write
;
; Silent: setup.exe /S installs, "%LOCALAPPDATA%\Programs\ModelFetch\uninstall.exe" /S
; removes. Uninstalling leaves the person's data: downloads, settings, the
; journal and the Hugging Face cache are theirs.

; 64-bit, as ModelFetch is: it also runs under a wine without wine32.
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
; One solid LZMA block with a window larger than a program: the .com is
; the .exe but for its subsystem, so it costs the installer almost nothing.
SetCompressor /SOLID lzma
SetCompressorDictSize 64

!define NAME "ModelFetch"
!define PUBLISHER "The ModelFetch developers"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${NAME}"
; The value the app writes to start at login; removed with the app so
; that no login tries to start a program that is gone.
!define RUN_KEY "Software\Microsoft\Windows\CurrentVersion\Run"
!define ENV_KEY "Environment"

Name "${NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\${NAME}"
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"

VIProductVersion "${VERSION_NUM}"
VIFileVersion "${VERSION_NUM}"
VIAddVersionKey "ProductName" "${NAME}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "Copyright ${PUBLISHER}"
VIAddVersionKey "FileDescription" "${NAME} ${VERSION} Setup"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include WordFunc.nsh
!include WinMessages.nsh

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_FINISHPAGE_RUN "$INSTDIR\modelfetch.exe"
!define MUI_FINISHPAGE_RUN_TEXT "Open ${NAME}"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Function .onInit
	SetShellVarContext current
FunctionEnd

Function un.onInit
	SetShellVarContext current
FunctionEnd

Section "Install"
	SetOutPath "$INSTDIR"
	File "/oname=modelfetch.exe" "${EXE}"
	File "/oname=modelfetch.com" "${COM}"
	WriteUninstaller "$INSTDIR\uninstall.exe"

	CreateShortcut "$SMPROGRAMS\${NAME}.lnk" "$INSTDIR\modelfetch.exe" "" "$INSTDIR\modelfetch.exe" 0

	WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${NAME}"
	WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
	WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
	WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\modelfetch.exe,0"
	WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
	WriteRegStr HKCU "${UNINST_KEY}" "URLInfoAbout" "https://github.com/modelfetch/modelfetch"
	WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
	WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
	WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
	WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
	${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
	WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" $0

	; Fyne's notifications name the app by its id (ToastNotificationManager
	; CreateToastNotifier(APPID)); this key gives that id a name, as an
	; unpackaged app registers itself for toasts. Not checked: wine has no
	; toasts.
	WriteRegStr HKCU "Software\Classes\AppUserModelId\${APPID}" "DisplayName" "${NAME}"

	Call AddToPath
SectionEnd

Section "Uninstall"
	Delete "$INSTDIR\modelfetch.exe"
	Delete "$INSTDIR\modelfetch.com"
	Delete "$INSTDIR\uninstall.exe"
	RMDir "$INSTDIR"
	Delete "$SMPROGRAMS\${NAME}.lnk"
	DeleteRegKey HKCU "${UNINST_KEY}"
	DeleteRegKey HKCU "Software\Classes\AppUserModelId\${APPID}"
	DeleteRegValue HKCU "${RUN_KEY}" "${NAME}"
	Call un.RemoveFromPath
SectionEnd

; The install folder goes on the person's PATH, so that `modelfetch get`
; works in a new cmd or PowerShell: both try .com before .exe (PATHEXT)
; and so run the console program. NSIS strings hold 1024 characters: a
; PATH that long, or one ReadRegStr cannot read, is left alone rather than
; cut, and the log says so.
Function AddToPath
	ClearErrors
	ReadRegStr $0 HKCU "${ENV_KEY}" "Path"
	${If} ${Errors}
		Call PathExists
		Pop $1
		${If} $1 == 1
			DetailPrint "Your PATH is too long to change here: add $INSTDIR to it to run modelfetch from a terminal."
			Return
		${EndIf}
		StrCpy $0 ""
	${EndIf}
	${WordFind} ";$0;" ";$INSTDIR;" "E+1{" $1
	${Unless} ${Errors}
		Return ; already there
	${EndUnless}
	StrLen $1 "$0$INSTDIR;"
	${If} $1 >= ${NSIS_MAX_STRLEN}
		DetailPrint "Your PATH is too long to change here: add $INSTDIR to it to run modelfetch from a terminal."
		Return
	${EndIf}
	${If} $0 == ""
		StrCpy $0 "$INSTDIR"
	${Else}
		StrCpy $0 "$0;$INSTDIR"
	${EndIf}
	WriteRegExpandStr HKCU "${ENV_KEY}" "Path" "$0"
	SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500
FunctionEnd

; PathExists pushes 1 when HKCU\Environment has a value named Path (of any
; length), else 0.
Function PathExists
	StrCpy $2 0
	${Do}
		ClearErrors
		EnumRegValue $3 HKCU "${ENV_KEY}" $2
		${If} ${Errors}
		${OrIf} $3 == ""
			Push 0
			Return
		${EndIf}
		${If} $3 == "Path" ; StrCmp ignores case, as the registry does
			Push 1
			Return
		${EndIf}
		IntOp $2 $2 + 1
	${Loop}
FunctionEnd

Function un.RemoveFromPath
	ClearErrors
	ReadRegStr $0 HKCU "${ENV_KEY}" "Path"
	${If} ${Errors}
		Return
	${EndIf}
	; Each spelling it can have: alone, first, in the middle, last.
	${If} $0 == "$INSTDIR"
		DeleteRegValue HKCU "${ENV_KEY}" "Path"
	${Else}
		${un.WordReplace} ";$0;" ";$INSTDIR;" ";" "+" $1
		StrCpy $1 $1 "" 1 ; the leading ";"
		StrCpy $1 $1 -1 ; the trailing ";"
		${If} $1 == $0
			Return
		${EndIf}
		WriteRegExpandStr HKCU "${ENV_KEY}" "Path" "$1"
	${EndIf}
	SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500
FunctionEnd
