// Patrols: choosing a venue shows its lessons at once (the button stays for no-JS phones).
document.addEventListener("DOMContentLoaded", function () {
  var venue = document.getElementById("venue");
  if (venue && venue.form) {
    venue.addEventListener("change", function () { venue.form.submit(); });
  }
});
