Write-Output 'a script someone else left here'
