/*
 * bcryptprimitives.dll for wine 8, which lacks ProcessPrng: Go's runtime
 * (1.24 and later) loads that export at start and dies without it, so no
 * Go program runs under wine 8 without this. Windows 10 and later have the
 * real DLL; this one is only ever copied into the private wine prefix of
 * packaging/windows/wine.sh, never shipped.
 *
 * ProcessPrng fills a buffer from the system's CSPRNG. RtlGenRandom (the
 * export SystemFunction036 of advapi32) is wine's way to the same thing,
 * but takes a 32-bit length, so a larger buffer is filled in pieces.
 *
 * Built without the C runtime (-nostdlib, entry DllMain): nothing here
 * needs it, and the DLL then imports only advapi32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG n = length > 0x80000000u ? 0x80000000u : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE dll, DWORD reason, LPVOID reserved)
{
	(void)dll;
	(void)reason;
	(void)reserved;
	return TRUE;
}
