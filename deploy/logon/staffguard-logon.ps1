<#
.SYNOPSIS
  StaffGuard lab logon/logoff script for shared Windows machines (Group Policy: User
  Configuration > Windows Settings > Scripts (Logon/Logoff)).

.DESCRIPTION
  Tells the admin site who uses this machine's address, so the StaffGuard proxy names that
  staff member on its events without a proxy login. Run with -Action Logon at logon and
  -Action Logoff at logoff.

  The `session` token (staffguard tokens create lab-logon --scope session) is read from a
  file that staff can read but not change, e.g. deployed by GPO to
  C:\ProgramData\StaffGuard\session-token — never written on a command line. Anyone who can
  read it can name any user at any address: see "Tokens and sessions" in docs/security.md.

.EXAMPLE
  powershell.exe -NoProfile -ExecutionPolicy Bypass -File staffguard-logon.ps1 -Action Logon
#>
param(
    [ValidateSet('Logon', 'Logoff')] [string] $Action = 'Logon',
    [string] $Url = 'https://staffguard.usd999.org',
    [string] $TokenFile = 'C:\ProgramData\StaffGuard\session-token',
    [int] $Minutes = 600,
    # The staff member's email; by default the signed-in account's UPN (user@district.org).
    [string] $User = $(try { ([ADSISearcher]"(samAccountName=$env:USERNAME)").FindOne().Properties['userprincipalname'][0] } catch { "$env:USERNAME@$env:USERDNSDOMAIN".ToLower() }),
    # This machine's address as the proxy sees it: the source address of the route to the site.
    [string] $Client = ''
)
$ErrorActionPreference = 'Stop'

if (-not $Client) {
    $siteHost = ([Uri] $Url).Host
    $target = [System.Net.Dns]::GetHostAddresses($siteHost) | Where-Object { $_.AddressFamily -eq 'InterNetwork' } | Select-Object -First 1
    $Client = (Find-NetRoute -RemoteIPAddress $target.IPAddressToString | Where-Object { $_.IPAddress } | Select-Object -First 1).IPAddress
}

$token = (Get-Content -Raw -Path $TokenFile).Trim()
$headers = @{ Authorization = "Bearer $token" }
if ($Action -eq 'Logon') {
    $body = @{ client = $Client; user = $User; minutes = $Minutes } | ConvertTo-Json -Compress
    Invoke-RestMethod -Method Post -Uri "$Url/api/v1/sessions" -Headers $headers -ContentType 'application/json' -Body $body | Out-Null
} else {
    $body = @{ client = $Client } | ConvertTo-Json -Compress
    Invoke-RestMethod -Method Delete -Uri "$Url/api/v1/sessions" -Headers $headers -ContentType 'application/json' -Body $body | Out-Null
}
Write-Output "staffguard: $Action $User at $Client"
